#include "ckpt/cli/commands.h"
#include "restore/restore.h"

namespace ckpt::cli {

void add_restore(CLI::App& app) {
  auto opts = std::make_shared<restore::RestoreOptions>();
  auto* cmd = app.add_subcommand("restore", "Restore a container from an image");
  cmd->add_option("image", opts->input, "Image path, or - for stdin")->required();
  cmd->add_option("--name", opts->name, "Id of the restored container (default: the dumped id)");
  cmd->callback([opts] { restore::restore_container(*opts); });
}

}  // namespace ckpt::cli
