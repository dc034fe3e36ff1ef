#include "ckpt/cli/commands.h"
#include "common/error.h"

namespace ckpt::cli {

void add_inspect(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "(not implemented yet)");
  cmd->callback([] { fail("inspect: not implemented yet"); });
}

}  // namespace ckpt::cli
