// Each `ckpt` verb lives in its own file under cli/ and registers itself here: it declares
// its options on a CLI11 subcommand and calls into the engines. Verbs throw ckpt::Error; main()
// prints it as one line and exits with its category's code.
#pragma once

#include <CLI/CLI.hpp>

namespace ckpt::cli {

void add_run(CLI::App& app);
void add_list(CLI::App& app);
void add_kill(CLI::App& app);
void add_stop(CLI::App& app);
void add_rm(CLI::App& app);
void add_logs(CLI::App& app);
void add_freeze(CLI::App& app);
void add_thaw(CLI::App& app);
void add_dump(CLI::App& app);
void add_restore(CLI::App& app);
void add_inspect(CLI::App& app);
void add_verify(CLI::App& app);
void add_backup(CLI::App& app);
void add_flatten(CLI::App& app);
void add_check(CLI::App& app);
void add_attach(CLI::App& app);
void add_version(CLI::App& app);
void add_console_keeper(CLI::App& app);
void add_migrate(CLI::App& app);
void add_receive(CLI::App& app);

// "ckpt 0.1.0 (image format 1)", for --version and `ckpt version`.
std::string version_text();

}  // namespace ckpt::cli
