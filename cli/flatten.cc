#include "backup/flatten.h"
#include "cli/commands.h"
#include "common/output_path.h"

namespace ckpt::cli {

void add_flatten(CLI::App& app) {
  auto opts = std::make_shared<backup::FlattenOptions>();
  auto* cmd = app.add_subcommand(
      "flatten", "Make one full image equal to an incremental image and its parents");
  cmd->add_option("image", opts->input, "The incremental image (the newest of its chain)")
      ->required();
  cmd->add_option("-o,--output", opts->output, "Full image path, or - for stdout")->required();
  cmd->add_option("--parent-dir", opts->parent_dir,
                  "Where the parent images are (default: next to the image)");
  cmd->add_option("--compress-level", opts->zstd_level, "zstd level, 0 = store (default 1)")
      ->check(CLI::Range(0, 19));
  cmd->add_option("--sign-key", opts->sign_key,
                  "Sign the image with HMAC-SHA256 under this key file (default: "
                  "/etc/ckpt/image.key when it exists)");
  cmd->add_option("--verify-key", opts->verify_key,
                  "Refuse a chain whose images are not signed with this key file (default: "
                  "/etc/ckpt/image.key when it exists)");
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("-f,--force", *force, "Replace an existing image file");
  cmd->callback([opts, force] {
    check_output_path(opts->output);
    if (!*force) refuse_existing_output(opts->output);
    backup::flatten(*opts);
  });
}

}  // namespace ckpt::cli
