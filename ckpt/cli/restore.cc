#include "ckpt/cli/commands.h"
#include "common/error.h"

namespace ckpt::cli {

void add_restore(CLI::App& app) {
  auto* cmd = app.add_subcommand("restore", "(not implemented yet)");
  cmd->callback([] { fail("restore: not implemented yet"); });
}

}  // namespace ckpt::cli
