#include "cli/commands.h"
#include "runtime/stop.h"

namespace ckpt::cli {

void add_logs(CLI::App& app) {
  auto id = std::make_shared<std::string>();
  auto follow = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("logs", "Print a container's console output");
  cmd->add_option("id", *id, "Container id")->required();
  cmd->add_flag("-f,--follow", *follow, "Keep printing new output until the container exits");
  cmd->callback([id, follow] { runtime::print_console_log(*id, *follow); });
}

}  // namespace ckpt::cli
