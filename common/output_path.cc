#include "common/output_path.h"

#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "common/error_kind.h"

namespace ckpt {

void check_output_path(const std::string& output) {
  namespace fsys = std::filesystem;
  if (output == "-") {
    if (::isatty(STDOUT_FILENO))
      fail(ErrorKind::kUsage, "-o -: stdout is a terminal; redirect it to a file or a pipe");
    return;
  }
  if (output.empty()) fail(ErrorKind::kUsage, "-o: an empty path");
  std::error_code ec;
  if (fsys::is_directory(output, ec))
    fail(ErrorKind::kUsage, "-o {}: is a directory; name the image file", output);
  fsys::path parent = fsys::path(output).parent_path();
  if (!parent.empty() && !fsys::is_directory(parent, ec))
    fail(ErrorKind::kUsage, "-o {}: directory {} does not exist", output, parent.string());
}

}  // namespace ckpt
