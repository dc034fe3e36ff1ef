// The hash kept for every page in an image's pagemap (records/mm.h): what an incremental dump
// compares against its parent's, so that no kernel dirty bits are needed.
#pragma once

#include <xxhash.h>

#include <cstdint>

namespace ckpt::chain {

inline constexpr uint64_t kPageBytes = 4096;

inline uint64_t page_hash(const void* page) {
  return XXH3_64bits(page, kPageBytes);
}

}  // namespace ckpt::chain
