#include "ckpt/posix_timers.h"

#include <signal.h>
#include <sys/syscall.h>
#include <time.h>

#include "common/error.h"
#include "common/proc/timers.h"

namespace ckpt::dump {

namespace {

pid_t container_tid(const proc::ProcTimer& timer, pid_t pid,
                    const std::map<pid_t, pid_t>& ns_tid_of) {
  if (!(timer.notify & SIGEV_THREAD_ID)) return 0;
  auto it = ns_tid_of.find(timer.target);
  if (it == ns_tid_of.end())
    fail("pid {}: POSIX timer {} signals thread {}, which is not one of its threads", pid, timer.id,
         timer.target);
  return it->second;
}

}  // namespace

records::PosixTimers dump_posix_timers(ptrace::Injection& injection, pid_t pid,
                                       const std::map<pid_t, pid_t>& ns_tid_of) {
  records::PosixTimers out;
  for (const proc::ProcTimer& timer : proc::read_timers(pid)) {
    records::PosixTimer t;
    t.id = timer.id;
    t.clock = timer.clock;
    t.notify = timer.notify;
    t.signo = timer.signo;
    t.sigval = timer.sigval;
    t.target_tid = container_tid(timer, pid, ns_tid_of);
    injection.main().checked("timer_gettime", SYS_timer_gettime, timer.id, injection.scratch());
    itimerspec spec{};
    injection.read(0, &spec, sizeof spec);
    t.value_sec = spec.it_value.tv_sec;
    t.value_nsec = spec.it_value.tv_nsec;
    t.interval_sec = spec.it_interval.tv_sec;
    t.interval_nsec = spec.it_interval.tv_nsec;
    t.overrun = static_cast<int32_t>(
        injection.main().checked("timer_getoverrun", SYS_timer_getoverrun, timer.id));
    out.timers.push_back(t);
  }
  return out;
}

}  // namespace ckpt::dump
