#include "ckpt/cli/commands.h"
#include "common/error.h"

namespace ckpt::cli {

void add_verify(CLI::App& app) {
  auto* cmd = app.add_subcommand("verify", "(not implemented yet)");
  cmd->callback([] { fail("verify: not implemented yet"); });
}

}  // namespace ckpt::cli
