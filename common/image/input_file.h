// The file an image is read from: a path, or stdin made seekable.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/unique_fd.h"

namespace ckpt::image {

// "-" = stdin: a regular file on stdin is used as it is; a pipe is copied into an unlinked
// temp file (O_TMPFILE in the directory of $TMPDIR, else /var/tmp).
UniqueFd open_image_file(const std::string& path);

uint64_t file_size(int fd, const std::string& path);

// Reads exactly `out.size()` bytes at `offset`; returns false on a short read (end of file).
bool read_at(int fd, uint64_t offset, std::span<std::byte> out, const std::string& path);

}  // namespace ckpt::image
