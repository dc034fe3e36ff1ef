// System calls injected into a stopped process, with a scratch area mapped in it for their
// arguments and results. The one wrapper both engines use over RemoteSyscall: the dump injects
// into the process as it is (calls run from a `syscall` of its vdso, scratch anywhere), the
// restore into a process being rebuilt (scratch at an address free in both layouts, calls run
// from a `syscall` written into it, as the vdso moves). Every register is put back, and the
// scratch area unmapped, when the object goes away, unless finish() left other registers.
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <memory>

#include "common/ptrace/remote_syscall.h"

namespace ckpt::ptrace {

struct ScratchSpec {
  uint64_t address = 0;  // 0: wherever the kernel puts it
  size_t size = 4096;
  // Write `syscall; int3` at its start and run the calls there, instead of from the vdso.
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
  size_t scratch_size() const { return size_; }
  void read(uint64_t offset, void* out, size_t size) const;
  void write(uint64_t offset, const void* data, size_t size) const;

  // Unmaps the scratch area, then leaves the main thread with `regs` and `sigmask`.
  void finish(const user_regs_struct& regs, uint64_t sigmask);

 private:
  pid_t pid_;
  size_t size_;
  uint64_t syscall_insn_ = 0;
  std::unique_ptr<RemoteSyscall> main_;
  uint64_t scratch_ = 0;
};

}  // namespace ckpt::ptrace
