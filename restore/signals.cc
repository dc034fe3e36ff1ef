#include "restore/signals.h"

#include <signal.h>
#include <sys/syscall.h>

#include "common/error.h"

namespace ckpt::restore {

void restore_sigactions(Restorer& r, const std::vector<records::SigAction>& actions) {
  for (size_t i = 0; i < actions.size(); ++i) {
    int sig = static_cast<int>(i) + 1;
    if (sig == SIGKILL || sig == SIGSTOP || (actions[i].handler == 0 && actions[i].flags == 0))
      continue;
    r.write(Restorer::kDataOffset, &actions[i], sizeof actions[i]);
    r.main().checked("rt_sigaction", SYS_rt_sigaction, sig, r.scratch() + Restorer::kDataOffset, 0,
                     8);
  }
}

void restore_itimers(Restorer& r, const std::vector<records::Itimer>& timers) {
  for (size_t which = 0; which < timers.size(); ++which) {
    records::Itimer t = timers[which];
    if (!t.value_sec && !t.value_usec) {  // disarmed, or read just as it fired
      if (!t.interval_sec && !t.interval_usec) continue;
      t.value_sec = t.interval_sec;
      t.value_usec = t.interval_usec;
    }
    r.write(Restorer::kDataOffset, &t, sizeof t);
    r.main().checked("setitimer", SYS_setitimer, which, r.scratch() + Restorer::kDataOffset, 0);
  }
}

void restore_altstack(Restorer& r, ptrace::RemoteSyscall& thread, const records::AltStack& stack) {
  if (stack.flags & SS_DISABLE) return;
  stack_t ss{reinterpret_cast<void*>(stack.sp), stack.flags & ~SS_ONSTACK, stack.size};
  r.write(Restorer::kDataOffset, &ss, sizeof ss);
  thread.checked("sigaltstack", SYS_sigaltstack, r.scratch() + Restorer::kDataOffset, 0);
}

void drop_pending(Restorer& r, uint64_t signals) {
  const timespec now{0, 0};
  r.write(Restorer::kDataOffset, &signals, sizeof signals);
  r.write(Restorer::kDataOffset + 64, &now, sizeof now);
  uint64_t set = r.scratch() + Restorer::kDataOffset, timeout = set + 64;
  // One signal a call; the queue holds at most one of each standard signal, a few realtime ones.
  for (int taken = 0; taken < 64; ++taken)
    if (r.main().call(SYS_rt_sigtimedwait, set, 0, timeout, 8) < 0) break;  // EAGAIN: none left
}

void requeue_signals(Restorer& r, ptrace::RemoteSyscall& thread, pid_t ns_tid,
                     const std::vector<std::string>& siginfos) {
  for (const auto& info : siginfos) {
    if (info.size() != sizeof(siginfo_t)) fail("process {}: malformed pending signal", r.ns_pid());
    siginfo_t si;
    std::memcpy(&si, info.data(), sizeof si);
    r.write(Restorer::kDataOffset, &si, sizeof si);
    uint64_t at = r.scratch() + Restorer::kDataOffset;
    if (ns_tid == 0)
      thread.checked("rt_sigqueueinfo", SYS_rt_sigqueueinfo, r.ns_pid(), si.si_signo, at);
    else
      thread.checked("rt_tgsigqueueinfo", SYS_rt_tgsigqueueinfo, r.ns_pid(), ns_tid, si.si_signo,
                     at);
  }
}

}  // namespace ckpt::restore
