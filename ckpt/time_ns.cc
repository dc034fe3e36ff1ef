#include "ckpt/time_ns.h"

#include <sched.h>
#include <time.h>

#include "common/clock.h"
#include "common/image/archive.h"
#include "common/log.h"
#include "common/ns/enter.h"

namespace ckpt::dump {

records::TimeNamespace collect_time(pid_t init_pid) {
  auto bytes = ns::run_in_namespaces_of(init_pid, CLONE_NEWTIME, [] {
    records::TimeNamespace now;
    now.monotonic = read_clock(CLOCK_MONOTONIC);
    now.boottime = read_clock(CLOCK_BOOTTIME);
    return image::to_bytes(now);
  });
  auto time = image::from_bytes<records::TimeNamespace>(bytes, "time");
  spdlog::debug("time: container monotonic {}.{:09} boottime {}.{:09}", time.monotonic.sec,
                time.monotonic.nsec, time.boottime.sec, time.boottime.nsec);
  return time;
}

}  // namespace ckpt::dump
