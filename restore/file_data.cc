#include "restore/file_data.h"

#include <unistd.h>

#include "common/error.h"

namespace ckpt::restore {

void write_all(int fd, std::span<const std::byte> data, const char* what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("write {} ({} bytes left)", what, data.size());
    data = data.subspan(static_cast<size_t>(n));
  }
}

}  // namespace ckpt::restore
