// `ckpt check`: what this host offers and lacks for checkpoint/restore, each fact probed.
#pragma once

#include <string>
#include <vector>

namespace ckpt::check {

enum class Level { kOk, kWarn, kMissing };

struct Fact {
  std::string name;
  Level level = Level::kOk;
  std::string detail;
};

std::vector<Fact> probe_host();

}  // namespace ckpt::check
