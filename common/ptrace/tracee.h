// Thin, checked wrappers over ptrace(2) for one thread (x86-64).
#pragma once

#include <chrono>

#include <signal.h>
#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::ptrace {

// Options every ckpt tracer sets: syscall stops marked with 0x80, tracee killed if we die, and
// its seccomp suspended when suspends_seccomp().
unsigned default_options();
// Whether seized threads have their seccomp suspended (PTRACE_O_SUSPEND_SECCOMP: needs
// CAP_SYS_ADMIN and a tracer not under seccomp itself): injected calls then pass any filter, and
// a thread in strict mode survives them.
bool suspends_seccomp();

// Syscall user dispatch of a thread (PR_SET_SYSCALL_USER_DISPATCH: a system call from outside
// its exempt range of code raises SIGSYS while the byte at `selector` says BLOCK, or always with
// no selector), as PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG shows it (struct ptrace_sud_config):
// mode 1 for both the exclusive and the inclusive mode, whose range the kernel keeps inverted
// (offset past its end, len negated: an offset + len that wraps tells it).
struct SyscallDispatch {
  uint64_t mode = 0;  // 0: off
  uint64_t selector = 0, offset = 0, len = 0;
};
// Of stopped thread `tid`; off on a kernel without the call (before 6.0).
SyscallDispatch get_syscall_dispatch(pid_t tid);
// Gives stopped thread `tid` what get_syscall_dispatch() read (in the mode it was set in).
void set_syscall_dispatch(pid_t tid, const SyscallDispatch& dispatch);

// PTRACE_SEIZE; false when the thread is already gone (ESRCH).
[[nodiscard]] bool seize(pid_t tid, unsigned options);
void set_options(pid_t tid, unsigned options);
// PTRACE_INTERRUPT; false when the thread is gone.
[[nodiscard]] bool interrupt(pid_t tid);
// Waits for the next stop of `tid` and returns the wait status. Throws if it exited.
// Waits for the next stop of `tid`; throws when it exits, or when `timeout` (if > 0) passes.
int wait_stop(pid_t tid, std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
// Resumes with PTRACE_SYSCALL (or PTRACE_CONT when `to_syscall` is false), delivering `sig`.
void resume(pid_t tid, bool to_syscall, int sig = 0);
void detach(pid_t tid, int sig = 0);

// The kind of stop a wait status reports.
inline bool is_syscall_stop(int status) {
  return (status >> 8) == (SIGTRAP | 0x80);
}
inline int event_of(int status) {
  return status >> 16;
}

user_regs_struct get_regs(pid_t tid);
void set_regs(pid_t tid, const user_regs_struct& regs);

// The extended FPU state: NT_X86_XSTATE when the CPU has it, NT_PRFPREG otherwise.
struct FpuState {
  std::string bytes;
  bool fxsave_only = false;
};
FpuState get_fpu(pid_t tid);
void set_fpu(pid_t tid, const FpuState& state);

uint64_t get_sigmask(pid_t tid);
void set_sigmask(pid_t tid, uint64_t mask);

struct RseqConfig {
  uint64_t address = 0;
  uint32_t size = 0;
  uint32_t signature = 0;
};
RseqConfig get_rseq(pid_t tid);

// Queued signals, read without dequeuing them: shared (whole process) or this thread's own.
std::vector<siginfo_t> peek_pending(pid_t tid, bool shared);

// rax/rip as they must be to re-enter an interrupted system call, the way the kernel would
// do it when the thread resumes without a signal handler to run. `restart_block_ok`: the thread
// still has its kernel restart block (true for the original process, false after a restore,
// where -ERESTART_RESTARTBLOCK re-runs the original call instead).
user_regs_struct with_syscall_restarted(user_regs_struct regs, bool restart_block_ok);

}  // namespace ckpt::ptrace
