// /proc/PID/pagemap: which pages of a range hold data of their own.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>

namespace ckpt::proc {

inline constexpr uint64_t kPageSize = 4096;

enum class PageKind {
  kAnonymous,    // private anonymous memory: every present or swapped page
  kPrivateFile,  // private file mapping: only pages written since (anonymous copies)
};

// Calls `run(start, pages)` for each run of consecutive pages in [start, end) that must be
// saved, in ascending order. `pagemap_fd`: /proc/PID/pagemap opened for reading.
void for_each_saved_run(int pagemap_fd, uint64_t start, uint64_t end, PageKind kind,
                        const std::function<void(uint64_t start, uint64_t pages)>& run);

}  // namespace ckpt::proc
