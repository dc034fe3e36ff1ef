#include "ckpt/cli/commands.h"
#include "common/error.h"

namespace ckpt::cli {

void add_check(CLI::App& app) {
  auto* cmd = app.add_subcommand("check", "(not implemented yet)");
  cmd->callback([] { fail("check: not implemented yet"); });
}

}  // namespace ckpt::cli
