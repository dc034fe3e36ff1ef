#include "ckpt/time_ns.h"

#include <time.h>

#include <sstream>

#include "common/clock.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"

namespace ckpt::dump {

namespace {

constexpr int64_t kNanos = 1'000'000'000;

records::ClockValue normalized(int64_t sec, int64_t nsec) {
  sec += nsec / kNanos;
  nsec %= kNanos;
  if (nsec < 0) {
    nsec += kNanos;
    --sec;
  }
  return {sec, nsec};
}

records::ClockValue moved(const records::ClockValue& v, const records::ClockValue& plus,
                          const records::ClockValue& minus) {
  return normalized(v.sec + plus.sec - minus.sec, v.nsec + plus.nsec - minus.nsec);
}

records::TimeNamespace offsets_of(const std::string& who) {
  std::string path = "/proc/" + who + "/timens_offsets";
  return parse_timens_offsets(fs::read_file(path), path);
}

}  // namespace

records::TimeNamespace parse_timens_offsets(const std::string& text, const std::string& origin) {
  records::TimeNamespace offsets;
  bool monotonic = false, boottime = false;
  std::istringstream in(text);
  std::string clock;
  int64_t sec = 0, nsec = 0;
  while (in >> clock >> sec >> nsec) {
    if (clock == "monotonic") {
      offsets.monotonic = {sec, nsec};
      monotonic = true;
    } else if (clock == "boottime") {
      offsets.boottime = {sec, nsec};
      boottime = true;
    }
  }
  if (!monotonic || !boottime) fail("{}: no monotonic and boottime offsets", origin);
  return offsets;
}

records::TimeNamespace clocks_in(const records::TimeNamespace& now,
                                 const records::TimeNamespace& theirs,
                                 const records::TimeNamespace& ours) {
  return {moved(now.monotonic, theirs.monotonic, ours.monotonic),
          moved(now.boottime, theirs.boottime, ours.boottime)};
}

records::TimeNamespace collect_time(pid_t init_pid) {
  auto theirs = offsets_of(std::to_string(init_pid));
  auto ours = offsets_of("self");
  auto time = clocks_in({read_clock(CLOCK_MONOTONIC), read_clock(CLOCK_BOOTTIME)}, theirs, ours);
  spdlog::debug("time: container monotonic {}.{:09} boottime {}.{:09}", time.monotonic.sec,
                time.monotonic.nsec, time.boottime.sec, time.boottime.nsec);
  return time;
}

}  // namespace ckpt::dump
