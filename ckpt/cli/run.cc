#include "ckpt/cli/commands.h"
#include "common/error.h"

namespace ckpt::cli {

void add_run(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "(not implemented yet)");
  cmd->callback([] { fail("run: not implemented yet"); });
}

}  // namespace ckpt::cli
