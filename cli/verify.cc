// `ckpt verify IMG`: checks every byte of an image (structure, checksums, decompression) and
// that the records inspect knows decode.
#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "common/error.h"
#include "common/image/describe.h"
#include "common/image/image.h"
#include "common/image/signing.h"

namespace ckpt::cli {

void add_verify(CLI::App& app) {
  auto* cmd = app.add_subcommand("verify", "Check an image's structure and checksums");
  auto path = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>();
  cmd->add_option("image", *path, "Image file (- reads stdin)")->required();
  cmd->add_option("--verify-key", *key,
                  "Refuse an image not signed with this key file (default: /etc/ckpt/image.key "
                  "when it exists)");
  cmd->callback([path, key] {
    image::ImageReader reader(*path);
    auto signing_key = image::pick_signing_key(*key);
    if (signing_key) image::verify_signature(reader, *signing_key);  // before anything else
    reader.verify();
    image::describe_image(reader);  // the known records decode
    fmt::print("{}: ok ({} sections, {:.2f} MiB{})\n", *path, reader.sections().size(),
               static_cast<double>(reader.file_size()) / (1 << 20),
               signing_key ? ", signature matches the key" : "");
  });
}

}  // namespace ckpt::cli
