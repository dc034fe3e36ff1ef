// Payload encoding: zstd (one frame carrying its content size) or stored as is.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/image/buffer.h"
#include "common/image/image.h"

namespace ckpt::image {

// Compresses `raw` into `out` at zstd `level` and returns kCompressed, or returns 0 and leaves
// `out` alone when the payload is better stored raw (level 0, smaller than `min_size`, or
// incompressible).
uint32_t compress_payload(std::span<const std::byte> raw, int level, size_t min_size, Buffer& out);

// Decodes a stored payload into `out` (resized to `raw_size`). Returns an empty string on
// success, else what is wrong ("zstd: Corrupted block detected").
std::string decompress_payload(std::span<const std::byte> stored, uint64_t raw_size, Buffer& out);

}  // namespace ckpt::image
