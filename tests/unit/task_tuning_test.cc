// A thread's CPU affinity, I/O priority and timer slack read and written from outside
// (common/task_tuning), on a live child of the test.
#include <catch2/catch.hpp>

#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/task_tuning.h"

using ckpt::format_cpu_list;
using ckpt::parse_cpu_list;

TEST_CASE("CPU lists parse to masks and back", "[task_tuning]") {
  CHECK(parse_cpu_list("0") == std::vector<uint64_t>{1});
  CHECK(parse_cpu_list("0-3,8") == std::vector<uint64_t>{0x10f});
  CHECK(parse_cpu_list("64") == std::vector<uint64_t>{0, 1});
  CHECK(format_cpu_list(parse_cpu_list("0-3,8,10-11,64")) == "0-3,8,10-11,64");
  CHECK(format_cpu_list({}) == "(none)");
  CHECK_THROWS_AS(parse_cpu_list("3-1"), ckpt::Error);
  CHECK_THROWS_AS(parse_cpu_list("99999"), ckpt::Error);
}

TEST_CASE("a child's tuning is read and set back from outside", "[task_tuning]") {
  pid_t child = ::fork();
  if (child == 0) {
    for (;;) ::pause();
  }
  auto before = ckpt::read_task_tuning(child);
  ckpt::records::TaskTuning wanted = before;
  wanted.io_priority = (2 << 13) | 5;  // best effort, level 5
  wanted.timer_slack_ns = 123457;
  cpu_set_t all;
  CPU_ZERO(&all);
  ::sched_getaffinity(child, sizeof all, &all);
  if (CPU_COUNT(&all) > 1) wanted.cpu_affinity = parse_cpu_list("0");
  ckpt::write_task_tuning(child, wanted, "test child");
  auto after = ckpt::read_task_tuning(child);
  CHECK(after.io_priority == wanted.io_priority);
  CHECK(after.timer_slack_ns == 123457);
  CHECK(after.cpu_affinity == wanted.cpu_affinity);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}
