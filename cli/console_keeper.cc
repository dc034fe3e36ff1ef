#include "runtime/console_keeper.h"
#include "cli/commands.h"

namespace ckpt::cli {

// Internal: started by the runtime with its fds in place, never by users (hidden from --help).
void add_console_keeper(CLI::App& app) {
  auto socket = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("console-keeper", "");
  cmd->group("");
  cmd->add_option("socket", *socket, "The console socket to remove at exit")->required();
  cmd->callback([socket] { runtime::run_console_keeper(*socket); });
}

}  // namespace ckpt::cli
