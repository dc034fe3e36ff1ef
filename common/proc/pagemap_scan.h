// PAGEMAP_SCAN (kernel 6.7) on /proc/PID/pagemap: runs of pages by category, and the
// write-protection that makes PAGE_IS_WRITTEN track writes in ranges registered with an
// asynchronous write-protect userfaultfd (UFFD_FEATURE_WP_ASYNC). Debian 12's headers (6.1) lack
// both: the uapi below is that of kernel 6.7's linux/fs.h and linux/userfaultfd.h.
#pragma once

#include <sys/ioctl.h>

#include <cstdint>
#include <vector>

namespace ckpt::proc {

namespace uapi {
struct page_region {
  uint64_t start;
  uint64_t end;
  uint64_t categories;
};
struct pm_scan_arg {
  uint64_t size;
  uint64_t flags;
  uint64_t start;
  uint64_t end;
  uint64_t walk_end;
  uint64_t vec;
  uint64_t vec_len;
  uint64_t max_pages;
  uint64_t category_inverted;
  uint64_t category_mask;
  uint64_t category_anyof_mask;
  uint64_t return_mask;
};
inline constexpr unsigned long kPagemapScan = _IOWR('f', 16, pm_scan_arg);
inline constexpr uint64_t kScanWpMatching = 1u << 0;
inline constexpr uint64_t kScanCheckWpAsync = 1u << 1;
inline constexpr uint64_t kUffdFeatureWpUnpopulated = 1u << 13;
inline constexpr uint64_t kUffdFeatureWpAsync = 1u << 15;
}  // namespace uapi

enum PageCategory : uint64_t {
  kPageWpAllowed = 1u << 0,  // in a range tracked by an async write-protect userfaultfd
  kPageWritten = 1u << 1,    // written since write-protected (always set where untracked)
  kPageFile = 1u << 2,
  kPagePresent = 1u << 3,
  kPageSwapped = 1u << 4,
  kPagePfnZero = 1u << 5,  // the shared zero page, mapped by a read of untouched memory
  kPageGuard = 1u << 8,    // a guard region's marker (MADV_GUARD_INSTALL; kernel 6.15), also "swapped"
};

struct PageRange {
  uint64_t start = 0;
  uint64_t end = 0;  // exclusive
};

// Which pages a scan selects: every category of `required`, none of `excluded` and, when
// `any_of` is not 0, at least one of `any_of`.
struct PageQuery {
  uint64_t required = 0;
  uint64_t excluded = 0;
  uint64_t any_of = 0;
  bool write_protect = false;  // also write-protects the pages selected (PM_SCAN_WP_MATCHING)
};

// Runs of the pages of [start, end) that `query` selects, in ascending order, adjacent runs
// merged. `pagemap_fd`: /proc/PID/pagemap. Throws ckpt::Error with the errno of the ioctl
// (ENOTTY or EINVAL before kernel 6.7).
std::vector<PageRange> scan_pages(int pagemap_fd, uint64_t start, uint64_t end,
                                  const PageQuery& query);

// Write-protects the present and swapped pages of [start, end), a range registered with an
// async write-protect userfaultfd: kPageWritten is clear on them until their next write.
void write_protect_present(int pagemap_fd, uint64_t start, uint64_t end);

}  // namespace ckpt::proc
