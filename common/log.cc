#include "common/log_options.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

#include "common/error.h"
#include "common/error_kind.h"

namespace ckpt::log {

namespace {

// Keeps the text of every warning.
class WarningSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> taken() {
    std::lock_guard lock(mutex_);
    return kept_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (msg.level == spdlog::level::warn)
      kept_.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

 private:
  std::vector<std::string> kept_;
};

std::shared_ptr<WarningSink>& warning_sink() {
  static auto sink = std::make_shared<WarningSink>();
  return sink;
}

spdlog::level::level_enum level_of(Verbosity verbosity) {
  switch (verbosity) {
    case Verbosity::kQuiet:
      return spdlog::level::err;
    case Verbosity::kNormal:
      return spdlog::level::warn;
    case Verbosity::kVerbose:
      return spdlog::level::info;
    case Verbosity::kDebug:
      return spdlog::level::debug;
  }
  return spdlog::level::warn;
}

spdlog::level::level_enum parse_level(const std::string& name) {
  auto level = spdlog::level::from_str(name);
  if (level == spdlog::level::off && name != "off")
    fail(ErrorKind::kUsage, "--log-level {}: use trace, debug, info, warn or error", name);
  return level;
}

}  // namespace

void init(const LogOptions& options) {
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  console->set_pattern("ckpt: %^%l%$: %v");
  auto level = options.level.empty() ? level_of(options.verbosity) : parse_level(options.level);
  console->set_level(level);
  std::vector<spdlog::sink_ptr> sinks{console, warning_sink()};
  warning_sink()->set_level(spdlog::level::warn);
  auto logger_level = level;
  if (!options.file.empty()) {
    std::shared_ptr<spdlog::sinks::basic_file_sink_mt> file;
    try {
      file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file);
    } catch (const spdlog::spdlog_ex& e) {
      fail(ErrorKind::kUsage, "--log-file {}: {}", options.file, e.what());
    }
    file->set_pattern("%Y-%m-%d %H:%M:%S.%e [%P] %l: %v");
    auto file_level = options.level.empty() ? spdlog::level::debug : level;
    file->set_level(file_level);
    logger_level = std::min(level, file_level);
    sinks.push_back(file);
  }
  auto logger = std::make_shared<spdlog::logger>("ckpt", sinks.begin(), sinks.end());
  logger->set_level(std::min(logger_level, spdlog::level::warn));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void init(Verbosity verbosity) {
  init(LogOptions{verbosity, {}, {}});
}

std::vector<std::string> warnings() {
  return warning_sink()->taken();
}

}  // namespace ckpt::log
