#include "cli/global_options.h"

#include <unistd.h>

namespace ckpt::cli {

namespace {

GlobalOptions& mutable_options() {
  static GlobalOptions options;
  return options;
}

}  // namespace

log::LogOptions GlobalOptions::log_options() const {
  using log::Verbosity;
  return {quiet          ? Verbosity::kQuiet
          : verbose >= 2 ? Verbosity::kDebug
          : verbose == 1 ? Verbosity::kVerbose
                         : Verbosity::kNormal,
          log_file, log_level};
}

const GlobalOptions& global_options() {
  return mutable_options();
}

void add_global_options(CLI::App& app) {
  auto& o = mutable_options();
  app.add_flag("-v,--verbose", o.verbose, "More output (-vv for debug)");
  app.add_flag("-q,--quiet", o.quiet, "Only errors");
  app.add_flag("--json", o.json,
               "Machine-readable output (list, inspect, check, dump, restore, verify)");
  app.add_option("--log-file", o.log_file,
                 "Also log to this file (debug level unless --log-level)");
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn or error");
}

std::vector<std::string> valued_global_options() {
  return {"--log-file", "--log-level"};
}

bool show_progress() {
  const auto& o = global_options();
  return !o.quiet && !o.json && ::isatty(STDERR_FILENO);
}

bool show_summary() {
  const auto& o = global_options();
  return !o.quiet && !o.json && (o.verbose > 0 || ::isatty(STDERR_FILENO));
}

}  // namespace ckpt::cli
