#include "ckpt/cli/commands.h"
#include "common/error.h"

namespace ckpt::cli {

void add_kill(CLI::App& app) {
  auto* cmd = app.add_subcommand("kill", "(not implemented yet)");
  cmd->callback([] { fail("kill: not implemented yet"); });
}

}  // namespace ckpt::cli
