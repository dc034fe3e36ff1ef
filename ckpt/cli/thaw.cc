#include "ckpt/cli/commands.h"
#include "common/error.h"

namespace ckpt::cli {

void add_thaw(CLI::App& app) {
  auto* cmd = app.add_subcommand("thaw", "(not implemented yet)");
  cmd->callback([] { fail("thaw: not implemented yet"); });
}

}  // namespace ckpt::cli
