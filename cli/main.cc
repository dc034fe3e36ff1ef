// The `ckpt` command line: parses, dispatches to one verb, prints any error as one line and
// exits with the error's category (common/error.h ErrorKind; README "Exit codes").
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <set>

#include "cli/commands.h"
#include "cli/global_options.h"
#include "cli/verb_names.h"
#include "common/error.h"
#include "common/container_lock.h"
#include "common/error_kind.h"
#include "common/log_options.h"
#include "runtime/dump_recovery.h"

namespace {

using ckpt::ErrorKind;
using ckpt::exit_code;

// Verbs that work without root (they read images or report on the host).
const std::set<std::string> kUnprivileged = {"inspect", "verify", "check", "version", "help"};

std::vector<std::string> verb_names(CLI::App& app) {
  std::vector<std::string> names;
  for (auto* sub : app.get_subcommands({})) {
    names.push_back(sub->get_name());
    for (const auto& alias : sub->get_aliases()) names.push_back(alias);
  }
  return names;
}

// A first word that is no verb: "unknown command", with the closest verb. 0 when it is one.
int refuse_unknown_verb(CLI::App& app, int argc, char** argv) {
  auto word = ckpt::cli::first_word(std::vector<std::string>(argv + 1, argv + argc),
                                    ckpt::cli::valued_global_options());
  if (!word) return 0;
  auto names = verb_names(app);
  if (std::find(names.begin(), names.end(), *word) != names.end()) return 0;
  std::vector<std::string> shown;  // hidden verbs (the console keeper) are never suggested
  for (auto* sub : app.get_subcommands({}))
    if (!sub->get_group().empty()) shown.push_back(sub->get_name());
  std::string close = ckpt::cli::closest_name(*word, shown);
  std::fprintf(stderr, "ckpt: error: unknown command '%s'%s (ckpt --help lists them)\n",
               word->c_str(), close.empty() ? "" : ("; did you mean '" + close + "'?").c_str());
  return exit_code(ErrorKind::kUsage);
}

// The verb that was given, once parsed.
std::string given_verb(CLI::App& app) {
  auto subs = app.get_subcommands();
  return subs.empty() ? "" : subs.front()->get_name();
}

void require_root(const std::string& verb) {
  if (verb.empty() || kUnprivileged.count(verb) || ::geteuid() == 0) return;
  ckpt::fail(ErrorKind::kRefused,
             "ckpt {} needs root (it works on cgroups, namespaces and "
             "ptrace); run it as root or with sudo",
             verb);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ckpt: checkpoint, restore and migrate Linux containers"};
  app.fallthrough();  // global options after the verb too: `ckpt dump web -v`
  app.set_version_flag("-V,--version", ckpt::cli::version_text());
  app.require_subcommand(1);
  ckpt::cli::add_global_options(app);

  ckpt::cli::add_run(app);
  ckpt::cli::add_list(app);
  ckpt::cli::add_kill(app);
  ckpt::cli::add_stop(app);
  ckpt::cli::add_rm(app);
  ckpt::cli::add_logs(app);
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
  ckpt::cli::add_version(app);
  ckpt::cli::add_console_keeper(app);
  ckpt::cli::add_migrate(app);
  ckpt::cli::add_receive(app);

  if (int code = refuse_unknown_verb(app, argc, argv)) return code;
  app.parse_complete_callback([&] {
    ckpt::log::init(ckpt::cli::global_options().log_options());
    require_root(given_verb(app));
    ckpt::set_after_lock_hook(ckpt::runtime::recover_after_killed_dump);  // see dump_recovery.h
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help, the version or the parse error
    return code == 0 ? 0 : exit_code(ErrorKind::kUsage);
  } catch (const ckpt::Error& e) {
    std::fprintf(stderr, "ckpt: error: %s\n", e.what());
    return exit_code(ckpt::kind_of(e));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ckpt: internal error: %s\n", e.what());
    return exit_code(ErrorKind::kInternal);
  }
  return 0;
}
