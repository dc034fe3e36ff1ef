// The dump pipeline: locate, preflight, freeze, seize, collect, write, finish.
#pragma once

#include <string>

namespace ckpt::dump {

struct DumpOptions {
  std::string container_id;
  std::string output;  // path, or "-" for stdout
  bool leave_running = false;
  int zstd_level = 1;
};

void dump_container(const DumpOptions& options);

}  // namespace ckpt::dump
