#include <catch2/catch.hpp>

#include <signal.h>

#include "common/error.h"
#include "common/proc/timers.h"

using namespace ckpt;

TEST_CASE("/proc/PID/timers entries parse into ids, signals, targets and clocks") {
  auto timers = proc::parse_timers(
      "ID: 2\n"
      "signal: 35/000000000000004d\n"
      "notify: signal/pid.12\n"
      "ClockID: 1\n"
      "ID: 0\n"
      "signal: 36/0000000000000058\n"
      "notify: signal/tid.13\n"
      "ClockID: 1\n"
      "ID: 1\n"
      "signal: 0/0000000000000000\n"
      "notify: none/pid.12\n"
      "ClockID: 0\n",
      "fixture");
  REQUIRE(timers.size() == 3);
  CHECK(timers[0].id == 2);
  CHECK(timers[0].signo == 35);
  CHECK(timers[0].sigval == 77);
  CHECK(timers[0].notify == SIGEV_SIGNAL);
  CHECK(timers[0].target == 12);
  CHECK(timers[0].clock == 1);
  CHECK(timers[1].notify == (SIGEV_SIGNAL | SIGEV_THREAD_ID));
  CHECK(timers[1].target == 13);
  CHECK(timers[2].notify == SIGEV_NONE);
  CHECK(timers[2].clock == 0);
  CHECK(proc::parse_timers("", "empty").empty());
}

TEST_CASE("a timers file with a line before any ID is refused, naming the file") {
  CHECK_THROWS_WITH(proc::parse_timers("signal: 14/0\n", "/proc/9/timers"),
                    Catch::Contains("/proc/9/timers"));
  CHECK_THROWS_WITH(proc::parse_timers("ID: 1\nnotify: bogus/pid.1\n", "f"),
                    Catch::Contains("unknown timer notification"));
}

TEST_CASE("the timers of this process are read from /proc") {
  struct sigevent ev {};
  ev.sigev_notify = SIGEV_NONE;
  timer_t id;
  REQUIRE(timer_create(CLOCK_MONOTONIC, &ev, &id) == 0);
  auto timers = proc::read_timers(getpid());
  timer_delete(id);
  bool found = false;
  for (const auto& t : timers)
    found |= t.id == static_cast<int>(reinterpret_cast<intptr_t>(id)) &&
             t.notify == SIGEV_NONE && t.clock == CLOCK_MONOTONIC;
  CHECK(found);
}
