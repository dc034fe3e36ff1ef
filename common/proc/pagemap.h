// Which pages of a private mapping hold data of their own, from /proc/PID/pagemap: by the
// PAGEMAP_SCAN ioctl (kernel 6.7), which walks only populated page tables, or else by reading
// one 8-byte entry per page.
#pragma once

#include "common/proc/pagemap_scan.h"

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "common/unique_fd.h"

namespace ckpt::proc {

inline constexpr uint64_t kPageSize = 4096;

enum class PageKind {
  kAnonymous,    // private anonymous memory: every present or swapped page but the zero page
  kPrivateFile,  // private file mapping: only pages written since (anonymous copies)
};

// /proc/PID/pagemap, opened for reading; throws naming it when it cannot be.
UniqueFd open_pagemap(pid_t pid);

using SavedRunFn = std::function<void(uint64_t start, uint64_t pages)>;

// Calls `run(start, pages)` for each run of consecutive pages in [start, end) that must be
// saved, in ascending order. `pagemap_fd`: /proc/PID/pagemap opened for reading.
void for_each_saved_run(int pagemap_fd, uint64_t start, uint64_t end, PageKind kind,
                        const SavedRunFn& run);

// The two ways for_each_saved_run works, for tests. The scan returns false, having called
// nothing, where the kernel has no PAGEMAP_SCAN. The read keeps pages of the zero page, which
// its entries do not tell apart.
bool scan_saved_runs(int pagemap_fd, uint64_t start, uint64_t end, PageKind kind,
                     const SavedRunFn& run);
void read_saved_runs(int pagemap_fd, uint64_t start, uint64_t end, PageKind kind,
                     const SavedRunFn& run);

// The runs of [start, end) that are guard regions (MADV_GUARD_INSTALL): no pages, a fault on
// any access. Empty where the kernel cannot tell them (PAGEMAP_SCAN without PAGE_IS_GUARD).
std::vector<PageRange> guard_regions(int pagemap_fd, uint64_t start, uint64_t end);

// The page frame number of each page of [start, start + pages * kPageSize), 0 where no page is
// present. The kernel shows frames only to a reader with CAP_SYS_ADMIN (0 to others).
std::vector<uint64_t> read_frames(int pagemap_fd, uint64_t start, uint64_t pages);

// For each page of [start, start + pages * kPageSize): whether it is an anonymous page present
// and mapped by other processes too (shared copy-on-write since a fork, or merged by KSM).
std::vector<bool> mapped_by_others(int pagemap_fd, uint64_t start, uint64_t pages);

}  // namespace ckpt::proc
