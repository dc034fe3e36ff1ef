#include "common/output_path.h"

#include <sys/stat.h>
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
  // An image replaces only a regular file: rename would put it in place of a device node or a
  // FIFO (-o /dev/null replaced the host's /dev/null).
  struct stat st {};
  if (::stat(output.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    fail(ErrorKind::kUsage, "-o {}: {}; an image is written to a regular file (or - for stdout)",
         output,
         S_ISFIFO(st.st_mode)                          ? "a FIFO"
         : S_ISSOCK(st.st_mode)                        ? "a socket"
         : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device node"
                                                       : "not a regular file");
  fsys::path parent = fsys::path(output).parent_path();
  if (!parent.empty() && !fsys::is_directory(parent, ec))
    fail(ErrorKind::kUsage, "-o {}: directory {} does not exist", output, parent.string());
}

void refuse_existing_output(const std::string& output) {
  struct stat st {};
  if (output != "-" && ::lstat(output.c_str(), &st) == 0)
    fail(ErrorKind::kRefused, "-o {}: exists; remove it or give --force to replace it", output);
}

}  // namespace ckpt
