// Sizes as people write them: "256M", "1G", "4096", "512k".
#pragma once

#include <cstdint>
#include <string>

namespace ckpt {

// Parses a byte size with an optional K/M/G/T suffix (powers of 1024, case-insensitive, an
// optional trailing "B" or "iB"). Throws Error naming `what` for anything else.
int64_t parse_size(const std::string& text, const std::string& what);
// 268435456 -> "256.0 MiB".
std::string format_size(uint64_t bytes);

}  // namespace ckpt
