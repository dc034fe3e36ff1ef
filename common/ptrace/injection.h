// System calls injected into a stopped process, with a scratch area mapped in it for their
// arguments and results. The one wrapper both engines use over RemoteSyscall: the dump injects
// into the process as it is (scratch anywhere), the restore into a process being rebuilt
// (scratch at an address free in both layouts). The calls run from a trampoline
// (common/ptrace/trampoline.h) written at the start of the scratch area: `syscall`, then a loop
// of pause() — with every signal blocked, a thread whose tracer died (`kill -9` of ckpt) while a
// call ran is parked there for good, instead of running on with the call's registers, until the
// next ckpt command gives it back its own (common/ptrace/injection_journal.h). In the dump, the
// mmap and munmap of the area run from the same trampoline written into the process's vdso
// (common/ptrace/vdso_patch.h), put back once the thread has its registers again; the restore
// runs them from a `syscall` of the vdso. Every register is put back, and the scratch area
// unmapped, when the object goes away, unless finish() left other registers.
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <memory>

#include "common/ptrace/remote_syscall.h"
#include "common/ptrace/vdso_patch.h"

namespace ckpt::ptrace {

struct ScratchSpec {
  uint64_t address = 0;  // 0: wherever the kernel puts it
  size_t size = 4096;
  // A process being rebuilt: its vdso may move, so the area is also unmapped from its own
  // `syscall` (the dump unmaps it from the vdso's, so that no call runs from unmapped code).
  bool own_syscall_insn = false;
};

class Injection {
 public:
  // `tid`: a thread of `pid` stopped under ptrace (the main thread normally).
  Injection(pid_t pid, pid_t tid, const ScratchSpec& spec = {});
  ~Injection();
  Injection(const Injection&) = delete;
  Injection& operator=(const Injection&) = delete;

  RemoteSyscall& main() { return *main_; }
  // Another stopped thread of the same process, for per-thread calls.
  std::unique_ptr<RemoteSyscall> on_thread(pid_t tid) const;

  uint64_t scratch() const { return scratch_; }
  void read(uint64_t offset, void* out, size_t size) const;
  void write(uint64_t offset, const void* data, size_t size) const;

  // Unmaps the scratch area, then leaves the main thread with `regs` and `sigmask`.
  void finish(const user_regs_struct& regs, uint64_t sigmask);

 private:
  void unmap_scratch();

  pid_t pid_;
  size_t size_;
  uint64_t area_insn_ = 0;  // where the mmap and munmap of the area run
  bool unmap_from_vdso_ = true;
  uint64_t syscall_insn_ = 0;
  // Declared before main_: reverted after main_ gave the thread its registers back.
  std::unique_ptr<VdsoPatch> patch_;
  std::unique_ptr<RemoteSyscall> main_;
  uint64_t scratch_ = 0;
};

}  // namespace ckpt::ptrace
