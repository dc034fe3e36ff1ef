// How the command line sets up logging (common/log.h): verbosity, a log file and level; and
// the warnings logged, for the `--json` results of dump and restore.
#pragma once

#include <string>
#include <vector>

#include "common/log.h"

namespace ckpt::log {

struct LogOptions {
  Verbosity verbosity = Verbosity::kNormal;
  std::string file;   // also log here (appended), at `level` or debug
  std::string level;  // --log-level: trace, debug, info, warn, error (overrides verbosity)
};

void init(const LogOptions& options);

// The warnings logged since init(), oldest first.
std::vector<std::string> warnings();

}  // namespace ckpt::log
