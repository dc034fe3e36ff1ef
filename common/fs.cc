#include "common/fs.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/error.h"
#include "common/unique_fd.h"

namespace ckpt::fs {

std::optional<std::string> try_read_file(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("open({})", path.string());
  }
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read({})", path.string());
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  auto s = try_read_file(path);
  if (!s) {
    errno = ENOENT;
    throw_errno("open({})", path.string());
  }
  return *s;
}

std::string read_line(const std::filesystem::path& path) {
  std::string s = read_file(path);
  auto nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  return s;
}

void write_file(const std::filesystem::path& path, const std::string& value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw_errno("open({})", path.string());
  ssize_t n = ::write(fd.get(), value.data(), value.size());
  if (n < 0) throw_errno("write({}, \"{}\")", path.string(), trim(value));
  if (static_cast<size_t>(n) != value.size()) fail("short write to {}", path.string());
}

void write_all(int fd, std::span<const std::byte> data, const char* what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("write {} ({} bytes left)", what, data.size());
    data = data.subspan(static_cast<size_t>(n));
  }
}

bool try_write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void write_file_atomic(const std::filesystem::path& path, const std::string& data, int mode) {
  std::string tmp = path.string() + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) throw_errno("open({})", tmp);
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::unlink(tmp.c_str());
      errno = err;
      throw_errno("write({})", tmp);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    errno = err;
    throw_errno("commit {}", path.string());
  }
}

std::string trim(std::string s) {
  const char* ws = " \t\n\r";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::vector<uint64_t> data_extents(int fd, uint64_t size) {
  std::vector<uint64_t> extents;
  off_t pos = 0;
  while (static_cast<uint64_t>(pos) < size) {
    off_t data = ::lseek(fd, pos, SEEK_DATA);
    if (data < 0) break;  // ENXIO: only a hole is left
    off_t hole = ::lseek(fd, data, SEEK_HOLE);
    if (hole < 0) hole = static_cast<off_t>(size);
    extents.push_back(static_cast<uint64_t>(data));
    extents.push_back(static_cast<uint64_t>(hole - data));
    pos = hole;
  }
  return extents;
}

}  // namespace ckpt::fs
