// Options every verb accepts, before or after its name: -v, -q, --log-file, --log-level and
// --json (for the verbs with a JSON output).
#pragma once

#include <CLI/CLI.hpp>

#include "common/log_options.h"

namespace ckpt::cli {

struct GlobalOptions {
  int verbose = 0;
  bool quiet = false;
  bool json = false;
  std::string log_file;
  std::string log_level;

  log::LogOptions log_options() const;
};

// The options of this run (filled in by add_global_options' parse).
const GlobalOptions& global_options();

// Declares the global options on `app` (which must fall through to them from its verbs).
void add_global_options(CLI::App& app);

// Options whose value is the next argument, for scanning a command line before parsing it.
std::vector<std::string> valued_global_options();

// Whether a progress line goes to stderr: it is a terminal, and neither -q nor --json.
bool show_progress();
// Whether a summary line goes to stderr at the end: a terminal or -v, and neither -q nor --json.
bool show_summary();

}  // namespace ckpt::cli
