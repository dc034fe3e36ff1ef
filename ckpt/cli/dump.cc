#include "ckpt/cli/commands.h"
#include "common/error.h"

namespace ckpt::cli {

void add_dump(CLI::App& app) {
  auto* cmd = app.add_subcommand("dump", "(not implemented yet)");
  cmd->callback([] { fail("dump: not implemented yet"); });
}

}  // namespace ckpt::cli
