#include <fmt/format.h>

#include "ckpt_version.h"
#include "cli/commands.h"
#include "common/image/image.h"

namespace ckpt::cli {

std::string version_text() {
  return fmt::format("ckpt {} (image format {})", CKPT_VERSION_STRING, image::kFormatVersion);
}

void add_version(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print the version and the image format it writes");
  cmd->callback([] { fmt::print("{}\n", version_text()); });
}

}  // namespace ckpt::cli
