#include "ckpt/time_ns.h"

#include <sched.h>
#include <time.h>

#include "common/error.h"
#include "common/image/archive.h"
#include "common/log.h"
#include "common/ns/enter.h"

namespace ckpt::dump {

namespace {

records::ClockValue read_clock(clockid_t clock, const char* name) {
  timespec ts{};
  if (::clock_gettime(clock, &ts) != 0) throw_errno("clock_gettime({})", name);
  return {ts.tv_sec, ts.tv_nsec};
}

}  // namespace

records::TimeNamespace collect_time(pid_t init_pid) {
  auto bytes = ns::run_in_namespaces_of(init_pid, CLONE_NEWTIME, [] {
    records::TimeNamespace now;
    now.monotonic = read_clock(CLOCK_MONOTONIC, "CLOCK_MONOTONIC");
    now.boottime = read_clock(CLOCK_BOOTTIME, "CLOCK_BOOTTIME");
    return image::to_bytes(now);
  });
  auto time = image::from_bytes<records::TimeNamespace>(bytes, "time");
  spdlog::debug("time: container monotonic {}.{:09} boottime {}.{:09}", time.monotonic.sec,
                time.monotonic.nsec, time.boottime.sec, time.boottime.nsec);
  return time;
}

}  // namespace ckpt::dump
