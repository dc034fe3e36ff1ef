#include "common/image/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "common/error.h"
#include "common/error_kind.h"
#include "common/fs.h"

namespace ckpt::image {
namespace {

std::string temp_directory() {
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir && *tmpdir) return tmpdir;
  return "/var/tmp";
}

// An unlinked file to spool into; falls back to mkstemp+unlink where O_TMPFILE is unsupported.
UniqueFd make_unlinked_temp() {
  std::string dir = temp_directory();
  UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (fd) return fd;
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
    throw_errno("open(O_TMPFILE in {})", dir);
  }
  std::string pattern = dir + "/ckpt-stdin.XXXXXX";
  fd.reset(::mkostemp(pattern.data(), O_CLOEXEC));
  if (!fd) throw_errno("mkstemp({})", pattern);
  ::unlink(pattern.c_str());
  return fd;
}

UniqueFd spool_stdin() {
  UniqueFd out = make_unlinked_temp();
  std::vector<char> buf(1u << 20);
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read the image from stdin");
    }
    if (n == 0) break;
    fs::write_all(out.get(), std::as_bytes(std::span(buf.data(), static_cast<size_t>(n))),
                  "the image from stdin to a temp file");
  }
  return out;
}

}  // namespace

UniqueFd open_image_file(const std::string& path) {
  if (path != "-") {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd && errno == ENOENT) fail(ErrorKind::kNotFound, "{}: no such image file", path);
    if (!fd) throw_errno("open({})", path);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("stat({})", path);
    if (S_ISDIR(st.st_mode)) fail("{}: is a directory, not a ckpt image", path);
    return fd;
  }
  struct stat st {};
  if (::fstat(STDIN_FILENO, &st) != 0) throw_errno("stat(stdin)");
  if (S_ISREG(st.st_mode)) {
    UniqueFd fd(::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0));
    if (!fd) throw_errno("dup(stdin)");
    return fd;
  }
  return spool_stdin();
}

uint64_t file_size(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("stat({})", path);
  return static_cast<uint64_t>(st.st_size);
}

bool read_at(int fd, uint64_t offset, std::span<std::byte> out, const std::string& path) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n =
        ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read({}) at offset {}", path, offset + done);
    }
    if (n == 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace ckpt::image
