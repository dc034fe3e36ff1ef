#include "common/clock.h"

#include <ctime>

#include "common/error.h"

namespace ckpt {

records::ClockValue read_clock(clockid_t clock) {
  timespec now{};
  if (::clock_gettime(clock, &now) != 0) throw_errno("clock_gettime({})", clock);
  return {now.tv_sec, now.tv_nsec};
}

int64_t clock_now_ns(clockid_t clock) {
  records::ClockValue now = read_clock(clock);
  return now.sec * 1'000'000'000LL + now.nsec;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

std::string format_utc(int64_t unix_seconds) {
  std::time_t t = unix_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace ckpt
