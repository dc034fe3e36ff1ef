// System calls run inside a stopped tracee: its registers point at a `syscall` instruction, it
// runs to the syscall exit stop, and the result is read from rax. Every signal is blocked while
// injecting; the thread's registers and signal mask are put back when the object goes away
// (or replaced by what finish() is given).
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/ptrace/injection_journal.h"
#include "common/unique_fd.h"

namespace ckpt::ptrace {

// The signal mask of a thread held for injected calls, as the kernel reports it: every signal
// blocked but SIGKILL and SIGSTOP, which cannot be.
inline constexpr uint64_t kInjectionSigmask =
    ~0ull & ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));

class RemoteSyscall {
 public:
  // `tid` must be in a ptrace stop, seized with default_options(). `syscall_insn`: the address
  // of a `syscall` instruction (0f 05) mapped executable in the tracee.
  RemoteSyscall(pid_t tid, uint64_t syscall_insn);
  ~RemoteSyscall();
  RemoteSyscall(const RemoteSyscall&) = delete;
  RemoteSyscall& operator=(const RemoteSyscall&) = delete;

  // The raw result: a negative errno on failure.
  [[nodiscard]] long call(long nr, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0,
                          uint64_t a4 = 0, uint64_t a5 = 0, uint64_t a6 = 0);
  // Like call(), but throws Error naming `what` on failure.
  long checked(const char* what, long nr, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0,
               uint64_t a4 = 0, uint64_t a5 = 0, uint64_t a6 = 0);

  void set_syscall_insn(uint64_t address) { insn_ = address; }
  // The injection's scratch area, recorded in the journal with the registers (address 0: its
  // size, before the mmap).
  void set_scratch(uint64_t address, uint64_t size);
  // A descriptor the next call makes in the process, recorded in the journal with the `syscall`
  // it runs from (take_made_fd): kMadeFdUnknown before that call, its number once it returned,
  // kNoMadeFd once closed there. `link`: what /proc/PID/fd shows for it.
  void set_made_fd(int64_t fd, std::string_view link = {});
  pid_t tid() const { return tid_; }
  const user_regs_struct& saved_regs() const { return saved_; }

  // Leaves the thread with these registers and this signal mask instead of the saved ones.
  void finish(const user_regs_struct& regs, uint64_t sigmask);

 private:
  void run_to_syscall_exit();

  pid_t tid_;
  uint64_t insn_;
  user_regs_struct saved_{};
  uint64_t saved_mask_ = 0;
  JournalEntry journal_;
  bool journaled_ = false;  // the outermost holder of the thread: its entry is ours
  bool done_ = false;
};

// Finds a `syscall` instruction in [start, end) of the tracee's memory (e.g. its [vdso]).
uint64_t find_syscall_insn(pid_t pid, uint64_t start, uint64_t end);
// A `syscall` instruction of the [vdso] of `pid` (a process or thread).
uint64_t vdso_syscall_insn(pid_t pid);

inline constexpr std::string_view kUserfaultfdLink = "anon_inode:[userfaultfd]";

// The descriptor that system call `nr` (with one argument, its flags) makes in process `pid`,
// run through `sys`, as our own (pidfd_getfd); it is closed in the process, also when taking it
// fails, so the process is left without it. `link` is what /proc/PID/fd shows for it
// ("anon_inode:[userfaultfd]"): a ckpt killed between the call and the close leaves it in the
// journal, and the next command closes it there while it still shows that (runtime/
// dump_recovery). The call's negative errno: an empty fd, `error` set to it.
UniqueFd take_made_fd(RemoteSyscall& sys, pid_t pid, std::string_view link, long nr,
                      uint64_t flags, int& error);

}  // namespace ckpt::ptrace
