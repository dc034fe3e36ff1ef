// The file an image is read from: a path, or stdin made seekable.
#pragma once

#include <cstdint>
#include <span>
#include <span>
#include <string>

#include "common/unique_fd.h"

namespace ckpt::image {

// "-" = stdin: a regular file on stdin is used as it is; a pipe is copied into an unlinked
// temp file (O_TMPFILE in the directory of $TMPDIR, else /var/tmp).
UniqueFd open_image_file(const std::string& path);

// The pipe `path` names ("-" with a pipe or socket on stdin, or a FIFO, opened as
// open_image_file() does but not copied), or an empty fd when it names a file.
UniqueFd open_image_pipe(const std::string& path);

// An unlinked temp file holding `already_read`, then the rest of `in` (the pipe `what`).
UniqueFd spool(int in, const std::string& what, std::span<const std::byte> already_read = {});

uint64_t file_size(int fd, const std::string& path);

// Reads exactly `out.size()` bytes at `offset`; returns false on a short read (end of file).
bool read_at(int fd, uint64_t offset, std::span<std::byte> out, const std::string& path);

}  // namespace ckpt::image
