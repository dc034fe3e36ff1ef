#include "ckpt/pidfds.h"

#include "common/error.h"
#include "common/error_kind.h"

namespace ckpt::dump {

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
  if (it == ns_pids.end())
    fail(ErrorKind::kRefused, "pid {} fd {}: pidfd of pid {}, which is not a process of the container",
         facts.pid, facts.fd, target);
  return it->second;
}

}  // namespace ckpt::dump
