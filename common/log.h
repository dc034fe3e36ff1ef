// Logging: spdlog to stderr. Commands log progress at debug level; errors are printed once by
// the command line, so engines log what they did, not what failed.
#pragma once

#include <spdlog/spdlog.h>

namespace ckpt::log {

enum class Verbosity { kQuiet, kNormal, kVerbose, kDebug };

void init(Verbosity verbosity);

}  // namespace ckpt::log
