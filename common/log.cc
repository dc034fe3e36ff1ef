#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace ckpt::log {

void init(Verbosity verbosity) {
  auto logger = spdlog::stderr_color_mt("ckpt");
  logger->set_pattern("ckpt: %^%l%$: %v");
  switch (verbosity) {
    case Verbosity::kQuiet:
      logger->set_level(spdlog::level::err);
      break;
    case Verbosity::kNormal:
      logger->set_level(spdlog::level::warn);
      break;
    case Verbosity::kVerbose:
      logger->set_level(spdlog::level::info);
      break;
    case Verbosity::kDebug:
      logger->set_level(spdlog::level::debug);
      break;
  }
  spdlog::set_default_logger(logger);
}

}  // namespace ckpt::log
