#include "ckpt/signals.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "common/proc/pid_status.h"
#include "common/ptrace/tracee.h"

namespace ckpt::dump {

std::vector<records::SigAction> dump_sigactions(ptrace::Injection& injection, pid_t pid) {
  proc::PidStatus status = proc::read_pid_status(pid);
  uint64_t not_default = status.sig_caught | status.sig_ignored | (1ull << (SIGCHLD - 1));
  std::vector<records::SigAction> actions(64);
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP || !(not_default & (1ull << (sig - 1)))) continue;
    injection.main().checked("rt_sigaction", SYS_rt_sigaction, sig, 0, injection.scratch(), 8);
    injection.read(0, &actions[sig - 1], sizeof(records::SigAction));
  }
  return actions;
}

std::vector<records::Itimer> dump_itimers(ptrace::Injection& injection) {
  std::vector<records::Itimer> timers(3);
  for (int which = 0; which < 3; ++which) {
    injection.main().checked("getitimer", SYS_getitimer, which, injection.scratch());
    injection.read(0, &timers[which], sizeof(records::Itimer));
  }
  return timers;
}

records::AltStack dump_altstack(ptrace::Injection& injection, ptrace::RemoteSyscall& thread) {
  thread.checked("sigaltstack", SYS_sigaltstack, 0, injection.scratch());
  stack_t stack{};
  injection.read(0, &stack, sizeof stack);
  return {reinterpret_cast<uint64_t>(stack.ss_sp), stack.ss_flags, stack.ss_size};
}

std::vector<std::string> dump_pending(pid_t tid, bool shared) {
  std::vector<std::string> out;
  for (const siginfo_t& info : ptrace::peek_pending(tid, shared))
    out.emplace_back(reinterpret_cast<const char*>(&info), sizeof info);
  return out;
}

}  // namespace ckpt::dump
