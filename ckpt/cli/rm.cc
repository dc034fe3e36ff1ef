#include "ckpt/cli/commands.h"
#include "common/error.h"

namespace ckpt::cli {

void add_rm(CLI::App& app) {
  auto* cmd = app.add_subcommand("rm", "(not implemented yet)");
  cmd->callback([] { fail("rm: not implemented yet"); });
}

}  // namespace ckpt::cli
