#include "common/writev_all.h"

#include <cerrno>

#include "common/error.h"

namespace ckpt {

size_t writev_all(int fd, std::span<iovec> parts, std::string_view what) {
  size_t total = 0;
  while (!parts.empty() && parts.front().iov_len == 0) parts = parts.subspan(1);
  while (!parts.empty()) {
    ssize_t n = ::writev(fd, parts.data(), static_cast<int>(parts.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write {}", what);
    }
    total += static_cast<size_t>(n);
    auto left = static_cast<size_t>(n);
    while (!parts.empty() && left >= parts.front().iov_len) {
      left -= parts.front().iov_len;
      parts = parts.subspan(1);
    }
    if (!parts.empty()) {
      parts.front().iov_base = static_cast<char*>(parts.front().iov_base) + left;
      parts.front().iov_len -= left;
    }
  }
  return total;
}

}  // namespace ckpt
