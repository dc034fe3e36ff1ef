// Reading a clock (clock_gettime), for the dump and the restore of timers and time namespaces,
// and the time elapsed for the log.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "common/records/time.h"

namespace ckpt {

// The time of `clock` now; throws Error naming the clock when it cannot be read.
records::ClockValue read_clock(clockid_t clock);
// The same in nanoseconds.
int64_t clock_now_ns(clockid_t clock);
// Milliseconds from `start` to now, for the log.
double ms_since(std::chrono::steady_clock::time_point start);
// "2026-12-06 23:21:25" for seconds since the epoch, in UTC.
std::string format_utc(int64_t unix_seconds);

}  // namespace ckpt
