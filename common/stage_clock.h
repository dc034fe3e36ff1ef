// Seconds spent in each stage of a pipeline, for the reports of dump and restore.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ckpt {

using StageSeconds = std::vector<std::pair<std::string, double>>;

class StageClock {
 public:
  explicit StageClock(StageSeconds& out) : out_(out) {}
  // Ends the current stage under `name`; the next one starts now.
  void lap(std::string_view name) {
    auto now = std::chrono::steady_clock::now();
    out_.emplace_back(std::string(name), std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }

 private:
  StageSeconds& out_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace ckpt
