// Reading a clock (clock_gettime), for the dump and the restore of timers and time namespaces.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>

#include "common/records/time.h"

namespace ckpt {

// The time of `clock` now; throws Error naming the clock when it cannot be read.
records::ClockValue read_clock(clockid_t clock);
// The same in nanoseconds.
int64_t clock_now_ns(clockid_t clock);
// Milliseconds since `start` on the steady clock, for the logs that measure a step.
inline double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace ckpt
