#include <catch2/catch.hpp>

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/ns/clone.h"
#include "restore/tree.h"

using namespace ckpt;

namespace {

records::ProcessEntry entry(int32_t pid, int32_t ppid) {
  records::ProcessEntry e;
  e.host_pid = 1000 + pid;
  e.pid = e.pgid = pid;
  e.sid = 1;
  e.ppid = ppid;
  e.threads = {{e.host_pid, pid}};
  e.comm = "plan";
  return e;
}

}  // namespace

TEST_CASE("a process the fork plan cannot make fails the wait at once, by pid", "[root]") {
  if (geteuid() != 0) {
    WARN("skipped: needs root");
    return;
  }
  // A pid no kernel hands out (pid_max is at most 2^22): clone3(set_tid) fails with EINVAL.
  // (A tree asking for one pid twice is refused before anything is forked.)
  records::ProcessTree tree;
  tree.processes = {entry(1, 0), entry(7, 1), entry(1 << 22, 1)};
  tree.processes[0].sid = 1;
  std::vector<records::ProcessState> states(3);
  restore::ForkPlan plan(tree, states);
  pid_t root = ns::clone_fork(CLONE_NEWPID);
  if (root == 0) plan.run_as_root(nullptr);
  plan.start();
  std::string message;
  try {
    plan.wait_ready(60000);
  } catch (const Error& e) {
    message = e.what();
  }
  ::kill(root, SIGKILL);
  ::waitpid(root, nullptr, 0);
  CHECK_THAT(message, Catch::Contains("restored process 4194304 could not be made") &&
                          Catch::Contains("clone3"));
}
