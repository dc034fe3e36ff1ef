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
#include "common/units.h"

namespace ckpt::cli {

void add_verify(CLI::App& app) {
  auto* cmd = app.add_subcommand("verify", "Check an image's structure and checksums");
  auto path = std::make_shared<std::string>();
  cmd->add_option("image", *path, "Image file (- reads stdin)")->required();
  cmd->callback([path] {
    image::ImageReader reader(*path);
    reader.verify();
    classify_errors(ErrorKind::kImage, [&] { image::describe_image(reader); });  // records decode
    if (global_options().json) {
      print_result_json({{"image", *path},
                         {"ok", true},
                         {"sections", reader.sections().size()},
                         {"bytes", reader.file_size()}});
      return;
    }
    fmt::print("{}: ok ({} sections, {})\n", *path, reader.sections().size(),
               format_size(reader.file_size()));
  });
}

}  // namespace ckpt::cli
