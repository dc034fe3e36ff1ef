#include "cli/progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "cli/global_options.h"
#include "common/units.h"

namespace ckpt::cli {

ProgressLine::ProgressLine(std::string what, const image::Progress& progress, uint64_t total)
    : what_(std::move(what)), progress_(progress), total_(total) {
  if (!show_progress()) return;
  thread_ = std::thread([this] {
    auto start = std::chrono::steady_clock::now();
    while (!stop_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      draw(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  });
}

ProgressLine::~ProgressLine() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
  std::fputs("\r\033[K", stderr);
}

void ProgressLine::draw(double seconds) const {
  uint64_t done = progress_.raw_bytes.load(std::memory_order_relaxed);
  if (total_ > 0) done = std::min(done, total_);  // the total is an estimate
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::string line = fmt::format("{}: {}", what_, format_size(done));
  if (total_ > 0) line += fmt::format(" of {}", format_size(total_));
  line += fmt::format(", {}/s", format_size(static_cast<uint64_t>(rate)));
  if (total_ > done && rate > 0)
    line += fmt::format(", ETA {}", format_seconds(static_cast<double>(total_ - done) / rate));
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
}

std::string format_seconds(double seconds) {
  if (seconds < 1) return fmt::format("{:.0f} ms", seconds * 1000);
  if (seconds < 120) return fmt::format("{:.1f} s", seconds);
  return fmt::format("{:.0f} min", seconds / 60);
}

}  // namespace ckpt::cli
