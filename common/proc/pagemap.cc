#include "common/proc/pagemap.h"

#include <fcntl.h>
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
constexpr uint64_t kExclusive = 1ull << 56;  // mapped by this process only
constexpr uint64_t kGuardRegion = 1ull << 58;  // PM_GUARD_REGION (kernel 6.15)

bool must_save(uint64_t entry, PageKind kind) {
  if (entry & kGuardRegion) return false;  // no page: reading it fails (EIO)
  if (entry & kSwapped) return true;
  if (!(entry & kPresent)) return false;
  return kind == PageKind::kAnonymous || !(entry & kFileOrSharedAnon);
}

// Whether PAGEMAP_SCAN knows PAGE_IS_GUARD (it refuses a mask it does not know, before any walk).
bool scan_knows_guards(int pagemap_fd) {
  static const bool knows = [pagemap_fd] {
    try {
      scan_pages(pagemap_fd, 0, 0, {.required = kPageGuard});
      return true;
    } catch (const Error&) {
      return false;
    }
  }();
  return knows;
}

PageQuery saved_pages_query(int pagemap_fd, PageKind kind) {
  // A swapped page is always anonymous; a present one of a private file mapping is anonymous
  // once written (a copy on write). Zero pages read as zeros whether restored or not. A guard
  // region's markers show as swapped: they hold no page.
  PageQuery query{.excluded = kPagePfnZero, .any_of = kPagePresent | kPageSwapped};
  if (scan_knows_guards(pagemap_fd)) query.excluded |= kPageGuard;
  if (kind == PageKind::kPrivateFile) query.excluded |= kPageFile;
  return query;
}

std::atomic<bool> scan_unavailable{false};

}  // namespace

UniqueFd open_pagemap(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/pagemap";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open {}", path);
  return fd;
}

bool scan_saved_runs(int pagemap_fd, uint64_t start, uint64_t end, PageKind kind,
                     const SavedRunFn& run) {
  if (scan_unavailable.load(std::memory_order_relaxed)) return false;
  std::vector<PageRange> ranges;
  try {
    ranges = scan_pages(pagemap_fd, start, end, saved_pages_query(pagemap_fd, kind));
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

std::vector<PageRange> guard_regions(int pagemap_fd, uint64_t start, uint64_t end) {
  if (!scan_knows_guards(pagemap_fd)) return {};
  return scan_pages(pagemap_fd, start, end, {.required = kPageGuard});
}

namespace {

// The raw entries of [start, start + pages * kPageSize).
std::vector<uint64_t> read_entries(int pagemap_fd, uint64_t start, uint64_t pages) {
  std::vector<uint64_t> entries(pages);
  uint64_t want = pages * 8, done = 0;
  auto* bytes = reinterpret_cast<char*>(entries.data());
  while (done < want) {
    ssize_t got = ::pread(pagemap_fd, bytes + done, want - done,
                          static_cast<off_t>((start / kPageSize) * 8 + done));
    if (got < 0) throw_errno("read pagemap at {:#x}", start + done / 8 * kPageSize);
    if (got == 0) fail("pagemap ended at {:#x}", start + done / 8 * kPageSize);
    done += static_cast<uint64_t>(got);
  }
  return entries;
}

}  // namespace

std::vector<uint64_t> read_frames(int pagemap_fd, uint64_t start, uint64_t pages) {
  constexpr uint64_t kFrameBits = (1ull << 55) - 1;
  auto entries = read_entries(pagemap_fd, start, pages);
  for (auto& entry : entries) entry = (entry & kPresent) ? entry & kFrameBits : 0;
  return entries;
}

std::vector<bool> mapped_by_others(int pagemap_fd, uint64_t start, uint64_t pages) {
  std::vector<bool> shared(pages);
  auto entries = read_entries(pagemap_fd, start, pages);
  for (uint64_t i = 0; i < pages; ++i)
    shared[i] = (entries[i] & kPresent) && !(entries[i] & kFileOrSharedAnon) &&
                !(entries[i] & kExclusive);
  return shared;
}

void for_each_saved_run(int pagemap_fd, uint64_t start, uint64_t end, PageKind kind,
                        const SavedRunFn& run) {
  if (!scan_saved_runs(pagemap_fd, start, end, kind, run))
    read_saved_runs(pagemap_fd, start, end, kind, run);
}

}  // namespace ckpt::proc
