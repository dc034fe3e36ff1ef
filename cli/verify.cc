// `ckpt verify IMG`: checks every byte of an image (structure, checksums, decompression) and
// that the records inspect knows decode; of an incremental image, of every image of its chain,
// each checked to be the parent its child was made against.
#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "common/chain/image_chain.h"
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
  auto parent_dir = std::make_shared<std::string>();
  cmd->add_option("image", *path, "Image file (- reads stdin)")->required();
  cmd->add_option("--verify-key", *key,
                  "Refuse an image not signed with this key file (default: /etc/ckpt/image.key "
                  "when it exists)");
  cmd->add_option("--parent-dir", *parent_dir,
                  "Where the parents of an incremental image are (default: next to it)");
  cmd->callback([path, key, parent_dir] {
    auto signing_key = image::pick_signing_key(*key);
    chain::ImageChain chain(*path, *parent_dir, signing_key);  // signatures before anything else
    chain.verify();
    for (size_t i = 0; i < chain.size(); ++i)  // the known records decode
      classify_errors(ErrorKind::kImage, [&] { image::describe_image(chain.image(i)); });
    const auto& reader = chain.image();
    if (global_options().json) {
      print_result_json({{"image", *path},
                         {"ok", true},
                         {"sections", reader.sections().size()},
                         {"bytes", reader.file_size()},
                         {"chain", chain.size()},
                         {"signed", signing_key.has_value()}});
      return;
    }
    for (size_t i = 0; i < chain.size(); ++i)
      fmt::print("{}{}: ok ({} sections, {}{})\n", i ? "  parent " : "", chain.path(i),
                 chain.image(i).sections().size(), format_size(chain.image(i).file_size()),
                 signing_key ? ", signature matches the key" : "");
    if (chain.size() > 1) fmt::print("chain of {} images: ok\n", chain.size());
  });
}

}  // namespace ckpt::cli
