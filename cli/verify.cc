// `ckpt verify IMG`: checks every byte of an image (structure, checksums, decompression) and
// that the records inspect knows decode; of an incremental image, of every image of its chain,
// each checked to be the parent its child was made against.
#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "common/chain/image_chain.h"
#include "common/error.h"
#include "common/image/describe.h"
#include "common/image/image.h"

namespace ckpt::cli {

void add_verify(CLI::App& app) {
  auto* cmd = app.add_subcommand("verify", "Check an image's structure and checksums");
  auto path = std::make_shared<std::string>();
  auto parent_dir = std::make_shared<std::string>();
  cmd->add_option("image", *path, "Image file (- reads stdin)")->required();
  cmd->add_option("--parent-dir", *parent_dir,
                  "Where the parents of an incremental image are (default: next to it)");
  cmd->callback([path, parent_dir] {
    chain::ImageChain chain(*path, *parent_dir);
    chain.verify();
    for (size_t i = 0; i < chain.size(); ++i) {
      const auto& reader = chain.image(i);
      image::describe_image(reader);  // the known records decode
      fmt::print("{}{}: ok ({} sections, {:.2f} MiB)\n", i ? "  parent " : "", chain.path(i),
                 reader.sections().size(), static_cast<double>(reader.file_size()) / (1 << 20));
    }
    if (chain.size() > 1) fmt::print("chain of {} images: ok\n", chain.size());
  });
}

}  // namespace ckpt::cli
