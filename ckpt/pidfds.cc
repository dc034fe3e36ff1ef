#include "ckpt/pidfds.h"

#include "common/error.h"
#include "common/error_kind.h"
#include "common/proc/pid_status.h"

namespace ckpt::dump {

namespace {

// A pidfd on thread `tid` (PIDFD_THREAD of a thread that leads no process): kept when the holder
// is the thread's own process (restore opens it once the threads are made), with the thread's
// id in the container.
int32_t thread_target(const FdFacts& facts, pid_t tid, const std::map<pid_t, pid_t>& ns_pids) {
  proc::PidStatus status;
  try {
    status = proc::read_pid_status(tid);
  } catch (const Error&) {
    status.tgid = 0;
  }
  if (status.tgid == 0 || !ns_pids.count(status.tgid))
    fail(ErrorKind::kRefused,
         "pid {} fd {}: pidfd of pid {}, which is not a process or thread of the container",
         facts.pid, facts.fd, tid);
  if (status.tgid != facts.pid)
    fail(ErrorKind::kRefused,
         "pid {} fd {}: pidfd of thread {} of another process ({}): opened again only by the "
         "thread's own process",
         facts.pid, facts.fd, tid, status.tgid);
  return proc::innermost_pid(status);
}

}  // namespace

bool is_pidfd(const FdFacts& facts) {
  return facts.link == "anon_inode:[pidfd]";
}

int32_t pidfd_target(const FdFacts& facts, const std::map<pid_t, pid_t>& ns_pids) {
  if (!facts.info.pid) fail("pid {} fd {}: pidfd without Pid in its fdinfo", facts.pid, facts.fd);
  pid_t target = *facts.info.pid;
  if (target <= 0)
    fail(ErrorKind::kRefused, "pid {} fd {}: pidfd of a process that has exited and been reaped",
         facts.pid, facts.fd);
  auto it = ns_pids.find(target);
  if (it == ns_pids.end()) return thread_target(facts, target, ns_pids);
  return it->second;
}

}  // namespace ckpt::dump
