// The `ckpt` command line: parses, dispatches to one verb, prints any error as one line.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"
#include "ckpt_version.h"
#include "common/error.h"
#include "common/log.h"

int main(int argc, char** argv) {
  CLI::App app{"ckpt: checkpoint, restore and migrate Linux containers"};
  app.set_version_flag("--version", CKPT_VERSION_STRING);
  app.require_subcommand(1);
  int verbose = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "More output (-vv for debug)");
  app.add_flag("-q,--quiet", quiet, "Only errors");
  app.parse_complete_callback([&] {
    using ckpt::log::Verbosity;
    ckpt::log::init(quiet          ? Verbosity::kQuiet
                    : verbose >= 2 ? Verbosity::kDebug
                    : verbose == 1 ? Verbosity::kVerbose
                                   : Verbosity::kNormal);
  });

  ckpt::cli::add_run(app);
  ckpt::cli::add_list(app);
  ckpt::cli::add_kill(app);
  ckpt::cli::add_rm(app);
  ckpt::cli::add_freeze(app);
  ckpt::cli::add_thaw(app);
  ckpt::cli::add_dump(app);
  ckpt::cli::add_restore(app);
  ckpt::cli::add_inspect(app);
  ckpt::cli::add_verify(app);
  ckpt::cli::add_backup(app);
  ckpt::cli::add_flatten(app);
  ckpt::cli::add_check(app);
  ckpt::cli::add_attach(app);
  ckpt::cli::add_console_keeper(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const ckpt::Error& e) {
    std::fprintf(stderr, "ckpt: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ckpt: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
