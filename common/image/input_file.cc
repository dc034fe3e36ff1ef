#include "common/image/input_file.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "common/cancel.h"
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

}  // namespace

// A pipe or FIFO cannot be seeked: its bytes go to an unlinked temp file first.
UniqueFd spool(int in, const std::string& what, std::span<const std::byte> already_read) {
  UniqueFd out = make_unlinked_temp();
  fs::write_all(out.get(), already_read, "the image to a temp file");
  std::vector<char> buf(1u << 20);
  for (;;) {
    throw_if_cancelled();
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read the image from {}", what);
    }
    if (n == 0) break;
    fs::write_all(out.get(), std::as_bytes(std::span(buf.data(), static_cast<size_t>(n))),
                  "the image to a temp file");
  }
  return out;
}

namespace {

// A FIFO is opened without blocking (an open for reading waits for a writer, deaf to signals),
// then waited on for its first bytes for at most kFifoWriterWaitMs, cancellable by SIGINT/TERM.
constexpr int kFifoWriterWaitMs = 30000;

UniqueFd open_fifo(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) throw_errno("open({})", path);
  for (int waited = 0;; waited += 100) {
    throw_if_cancelled();
    pollfd p{fd.get(), POLLIN, 0};
    int n = ::poll(&p, 1, 100);
    if (n < 0 && errno != EINTR) throw_errno("poll({})", path);
    if (n > 0) break;  // data, or a writer came and went (read then says EOF)
    if (waited >= kFifoWriterWaitMs) fail("{}: no writer sent an image within 30 s", path);
  }
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0)
    throw_errno("fcntl({})", path);
  return fd;
}

}  // namespace

UniqueFd open_image_pipe(const std::string& path) {
  if (path != "-") {
    struct stat named {};
    if (::stat(path.c_str(), &named) == 0 && S_ISFIFO(named.st_mode)) return open_fifo(path);
    return {};
  }
  struct stat st {};
  if (::fstat(STDIN_FILENO, &st) != 0) throw_errno("stat(stdin)");
  if (S_ISREG(st.st_mode)) return {};
  UniqueFd fd(::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0));
  if (!fd) throw_errno("dup(stdin)");
  return fd;
}

UniqueFd open_image_file(const std::string& path) {
  if (UniqueFd pipe = open_image_pipe(path)) return spool(pipe.get(), path == "-" ? "stdin" : path);
  if (path != "-") {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fd && errno == ENOENT) fail(ErrorKind::kNotFound, "{}: no such image file", path);
    if (!fd) throw_errno("open({})", path);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("stat({})", path);
    if (S_ISDIR(st.st_mode)) fail("{}: is a directory, not a ckpt image", path);
    if (!S_ISREG(st.st_mode)) fail("{}: not a regular file, FIFO or -, not a ckpt image", path);
    int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0)
      throw_errno("fcntl({})", path);
    return fd;
  }
  UniqueFd fd(::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0));  // a regular file
  if (!fd) throw_errno("dup(stdin)");
  return fd;
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
