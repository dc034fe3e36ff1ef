#include "common/proc/pagemap.h"

#include <unistd.h>

#include <atomic>
#include <vector>

#include "common/error.h"
#include "common/proc/pagemap_scan.h"

namespace ckpt::proc {
namespace {

constexpr uint64_t kPresent = 1ull << 63;
constexpr uint64_t kSwapped = 1ull << 62;
constexpr uint64_t kFileOrSharedAnon = 1ull << 61;

bool must_save(uint64_t entry, PageKind kind) {
  if (entry & kSwapped) return true;
  if (!(entry & kPresent)) return false;
  return kind == PageKind::kAnonymous || !(entry & kFileOrSharedAnon);
}

PageQuery saved_pages_query(PageKind kind) {
  // A swapped page is always anonymous; a present one of a private file mapping is anonymous
  // once written (a copy on write). Zero pages read as zeros whether restored or not.
  PageQuery query{.excluded = kPagePfnZero, .any_of = kPagePresent | kPageSwapped};
  if (kind == PageKind::kPrivateFile) query.excluded |= kPageFile;
  return query;
}

std::atomic<bool> scan_unavailable{false};

}  // namespace

bool scan_saved_runs(int pagemap_fd, uint64_t start, uint64_t end, PageKind kind,
                     const SavedRunFn& run) {
  if (scan_unavailable.load(std::memory_order_relaxed)) return false;
  std::vector<PageRange> ranges;
  try {
    ranges = scan_pages(pagemap_fd, start, end, saved_pages_query(kind));
  } catch (const Error& e) {
    if (e.err() != ENOTTY && e.err() != EINVAL) throw;
    scan_unavailable.store(true, std::memory_order_relaxed);
    return false;
  }
  for (const auto& r : ranges) run(r.start, (r.end - r.start) / kPageSize);
  return true;
}

void read_saved_runs(int pagemap_fd, uint64_t start, uint64_t end, PageKind kind,
                     const SavedRunFn& run) {
  constexpr size_t kBatch = 64 * 1024;  // entries per read: 256 MiB of address space
  std::vector<uint64_t> entries(kBatch);
  uint64_t run_start = 0, run_pages = 0;
  for (uint64_t at = start; at < end;) {
    size_t count = std::min<uint64_t>(kBatch, (end - at) / kPageSize);
    ssize_t got = ::pread(pagemap_fd, entries.data(), count * 8, (at / kPageSize) * 8);
    if (got < 0) throw_errno("read pagemap at {:#x}", at);
    if (got == 0) fail("pagemap ended at {:#x}", at);
    size_t n = static_cast<size_t>(got) / 8;
    for (size_t i = 0; i < n; ++i) {
      uint64_t page = at + i * kPageSize;
      if (!must_save(entries[i], kind)) continue;
      if (run_pages && run_start + run_pages * kPageSize == page) {
        ++run_pages;
      } else {
        if (run_pages) run(run_start, run_pages);
        run_start = page;
        run_pages = 1;
      }
    }
    at += n * kPageSize;
  }
  if (run_pages) run(run_start, run_pages);
}

void for_each_saved_run(int pagemap_fd, uint64_t start, uint64_t end, PageKind kind,
                        const SavedRunFn& run) {
  if (!scan_saved_runs(pagemap_fd, start, end, kind, run))
    read_saved_runs(pagemap_fd, start, end, kind, run);
}

}  // namespace ckpt::proc
