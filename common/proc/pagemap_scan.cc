#include "common/proc/pagemap_scan.h"

#include <algorithm>

#include "common/error.h"

namespace ckpt::proc {

std::vector<PageRange> scan_pages(int pagemap_fd, uint64_t start, uint64_t end,
                                  const PageQuery& query) {
  std::vector<PageRange> out;
  std::vector<uapi::page_region> regions(4096);
  for (uint64_t at = start; at < end;) {
    uapi::pm_scan_arg arg{};
    arg.size = sizeof arg;
    if (query.write_protect) arg.flags = uapi::kScanWpMatching;  // untracked VMAs skipped
    arg.start = at;
    arg.end = end;
    arg.vec = reinterpret_cast<uint64_t>(regions.data());
    arg.vec_len = regions.size();
    arg.category_mask = query.required | query.excluded;
    arg.category_inverted = query.excluded;
    arg.category_anyof_mask = query.any_of;
    // Returned categories only split regions; the runs are merged below anyway.
    arg.return_mask = query.required | query.excluded | query.any_of;
    int found = ::ioctl(pagemap_fd, uapi::kPagemapScan, &arg);
    if (found < 0) throw_errno("PAGEMAP_SCAN {:#x}-{:#x}", at, end);
    for (int i = 0; i < found; ++i) {
      // A walk resumed inside a huge page reports part of it again: keep each page once, in
      // ascending order (restore refuses overlapping runs as a damaged image).
      uint64_t from = out.empty() ? regions[i].start : std::max(regions[i].start, out.back().end);
      if (from >= regions[i].end) continue;
      if (!out.empty() && out.back().end == from)
        out.back().end = regions[i].end;
      else
        out.push_back({from, regions[i].end});
    }
    if (arg.walk_end <= at) fail("PAGEMAP_SCAN made no progress at {:#x}", at);
    at = arg.walk_end;
  }
  return out;
}

void write_protect_present(int pagemap_fd, uint64_t start, uint64_t end) {
  // Through scan_pages, with an output vector: without one the kernel takes a fast path that
  // write-protects every PTE of the walk, holes too (uffd-wp markers, which later scans report
  // as swapped pages: the pre-copy read them, which mapped pages into the running process).
  scan_pages(pagemap_fd, start, end, {.any_of = kPagePresent | kPageSwapped, .write_protect = true});
}

}  // namespace ckpt::proc
