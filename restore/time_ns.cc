#include "restore/time_ns.h"

#include <fcntl.h>
#include <sched.h>
#include <time.h>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"

namespace ckpt::restore {

namespace {

constexpr int64_t kNanos = 1'000'000'000;

std::string offset_line(const char* clock, const records::ClockValue& want,
                        const records::ClockValue& have) {
  int64_t sec = want.sec - have.sec;
  int64_t nsec = want.nsec - have.nsec;
  if (nsec < 0) {
    nsec += kNanos;
    --sec;
  }
  return fmt::format("{} {} {}\n", clock, sec, nsec);
}

}  // namespace

std::string timens_offsets(const records::TimeNamespace& dumped,
                           const records::TimeNamespace& host_now) {
  return offset_line("monotonic", dumped.monotonic, host_now.monotonic) +
         offset_line("boottime", dumped.boottime, host_now.boottime);
}

ChildTimeNamespace::ChildTimeNamespace(const records::TimeNamespace& dumped)
    : own_(::open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC)) {
  if (!own_) throw_errno("open(/proc/self/ns/time)");
  if (::unshare(CLONE_NEWTIME) != 0) throw_errno("unshare(CLONE_NEWTIME)");
  try {
    records::TimeNamespace host{read_clock(CLOCK_MONOTONIC), read_clock(CLOCK_BOOTTIME)};
    std::string offsets = timens_offsets(dumped, host);
    fs::write_file("/proc/self/timens_offsets", offsets);
    spdlog::debug("time: offsets {}", offsets);
  } catch (...) {
    ::setns(own_.get(), CLONE_NEWTIME);
    throw;
  }
}

ChildTimeNamespace::~ChildTimeNamespace() {
  if (::setns(own_.get(), CLONE_NEWTIME) != 0)
    spdlog::debug("time: cannot return children to our time namespace: {}", std::strerror(errno));
}

std::unique_ptr<ChildTimeNamespace> prepare_time_namespace(const image::ImageReader& image) {
  if (!image.has(image::SectionType::kTime, 0)) return nullptr;
  return std::make_unique<ChildTimeNamespace>(
      image.get<records::TimeNamespace>(image::SectionType::kTime, 0));
}

}  // namespace ckpt::restore
