// The parking trampoline (common/ptrace/trampoline.h) written into the unused tail of a dumped
// process's vdso, past the end of its ELF image, where no code of the process ever runs: the
// mmap and munmap of an injection's scratch area run from there, so that a thread whose tracer
// died during them is parked too. The page becomes the process's own copy (a write through
// /proc/PID/mem, as a debugger's breakpoint); its bytes are recorded in the injection journal
// before the write and put back when the patch goes away, or by the next command after a
// killed dump (runtime/dump_recovery).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>

#include "common/ptrace/injection_journal.h"

namespace ckpt::ptrace {

class VdsoPatch {
 public:
  // nullptr when the vdso of `pid` has no free tail for it (the calls then run from a `syscall`
  // of the vdso's own code, unprotected).
  static std::unique_ptr<VdsoPatch> write(pid_t pid);
  ~VdsoPatch();
  VdsoPatch(const VdsoPatch&) = delete;
  VdsoPatch& operator=(const VdsoPatch&) = delete;

  // The trampoline's `syscall` instruction.
  uint64_t syscall_insn() const { return entry_.address; }

 private:
  VdsoPatch(pid_t pid, uint64_t address);
  PatchEntry entry_;
};

// Whether the trampoline of `patch` is still where it was written.
bool patch_in_place(const PatchEntry& patch);
// Puts back the bytes the trampoline replaced, if it is still there (a process that exec'd since
// may have anything at that address). Returns whether it did.
bool revert_patch(const PatchEntry& patch);

}  // namespace ckpt::ptrace
