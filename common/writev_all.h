// Gathered writes that finish: writev(2) again after a short write or EINTR.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <span>
#include <string_view>

namespace ckpt {

// Writes every byte of `parts` to `fd` (the iovecs are advanced in place); throws naming `what`.
// Returns the number of bytes written.
size_t writev_all(int fd, std::span<iovec> parts, std::string_view what);

}  // namespace ckpt
