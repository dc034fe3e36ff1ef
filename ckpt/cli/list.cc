#include "ckpt/cli/commands.h"
#include "common/error.h"

namespace ckpt::cli {

void add_list(CLI::App& app) {
  auto* cmd = app.add_subcommand("list", "(not implemented yet)");
  cmd->callback([] { fail("list: not implemented yet"); });
}

}  // namespace ckpt::cli
