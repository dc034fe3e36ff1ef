// The progress line of dump and restore on a terminal (bytes, rate, ETA), redrawn on stderr
// from a thread, and the one-line summaries printed at the end.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "common/image/progress.h"

namespace ckpt::cli {

class ProgressLine {
 public:
  // `what`: "dump web". `total`: the raw bytes expected (0: unknown, no ETA). Draws only when
  // show_progress() says so.
  ProgressLine(std::string what, const image::Progress& progress, uint64_t total);
  // Stops drawing and clears the line.
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  void draw(double seconds) const;

  std::string what_;
  const image::Progress& progress_;
  uint64_t total_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// "1.2 s", "14 ms".
std::string format_seconds(double seconds);

}  // namespace ckpt::cli
