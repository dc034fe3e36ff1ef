#include "ckpt/cli/commands.h"
#include "common/error.h"

namespace ckpt::cli {

void add_freeze(CLI::App& app) {
  auto* cmd = app.add_subcommand("freeze", "(not implemented yet)");
  cmd->callback([] { fail("freeze: not implemented yet"); });
}

}  // namespace ckpt::cli
