// `ckpt verify IMG`: checks every byte of an image (structure, checksums, decompression) and
// that the records inspect knows decode.
#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "cli/global_options.h"
#include "cli/results.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/image/describe.h"
#include "common/image/image.h"
#include "common/image/signing.h"
#include "common/units.h"

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
    classify_errors(ErrorKind::kImage, [&] { image::describe_image(reader); });  // records decode
    if (global_options().json) {
      print_result_json({{"image", *path},
                         {"ok", true},
                         {"sections", reader.sections().size()},
                         {"bytes", reader.file_size()},
                         {"signed", signing_key.has_value()}});
      return;
    }
    fmt::print("{}: ok ({} sections, {}{})\n", *path, reader.sections().size(),
               format_size(reader.file_size()), signing_key ? ", signature matches the key" : "");
  });
}

}  // namespace ckpt::cli
