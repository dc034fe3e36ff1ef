// Pre-copy of a running process's memory for --leave-running dumps: its pages are copied while
// it runs, with writes tracked by an asynchronous write-protect userfaultfd (UFFD_FEATURE_WP_ASYNC
// + PAGEMAP_SCAN's PAGE_IS_WRITTEN); in the final round, with the process stopped, only the pages
// written since (and pages that are new) are read, so the freeze window no longer grows with the
// size of the memory.
//
// The userfaultfd is created in the process by an injected system call while it is seized, taken
// with pidfd_getfd and closed in the process at once: the process never holds it. Destruction
// closes ours, which unregisters every range and drops the write-protection; the process sees
// nothing of it, also when the dump fails.
#pragma once

#include <sys/types.h>

#include <span>
#include <vector>

#include "ckpt/mm.h"
#include "ckpt/pages_index.h"
#include "ckpt/pages.h"
#include "ckpt/pages_pool.h"
#include "common/proc/pagemap_scan.h"
#include "common/unique_fd.h"

namespace ckpt::dump {

// What a final round reads and reuses: see plan_final_round.
struct FinalPlan {
  std::vector<PageCopy> extents;
  std::vector<PageCopy> to_read;
  std::vector<PageCopy> kept;
};

class Precopy {
 public:
  // Sets up tracking in running process `pid` (its main thread stopped for a moment); a
  // process that cannot be tracked (gone, ...) is read whole in the final round. With `parent`
  // (an incremental dump), pages the parent image has unchanged are hashed, not copied.
  explicit Precopy(pid_t pid, const ParentPages* parent = nullptr);
  Precopy(const Precopy&) = delete;
  Precopy& operator=(const Precopy&) = delete;

  // With `pid` running: write-protects its private mappings and copies their pages into `pool`
  // (with a parent, only the pages that differ from it). Memory that cannot be tracked is
  // simply read again in the final round.
  void copy(PagePool& pool);

  // Another round with `pid` running (migration): the pages written since the last round are
  // write-protected again and re-read into their copies; returns them (parts of copied()).
  std::vector<PageCopy> recopy();

  // Final round, `pid` stopped: `runs` as extents in `pool`, pages unchanged since the last
  // round taken from it, the others read now (their number added to `pages_read`).
  FinalPlan finish(std::span<const SavedRun> runs, PagePool& pool, uint64_t& pages_read);

  const std::vector<PageCopy>& copied() const { return copied_; }

  uint64_t pages_copied() const { return pages_copied_; }
  // The memory layout seen by copy(), if it ran.
  const records::MmState* layout() const { return copied_.empty() ? nullptr : &mm_; }

 private:
  void track(const records::MmState& mm);
  // Reads `runs` through a small buffer and keeps copies only of the pages the parent lacks.
  void copy_changed(std::span<const SavedRun> runs, PagePool& pool);

  pid_t pid_;
  const ParentPages* parent_;
  UniqueFd uffd_;
  UniqueFd pagemap_;
  records::MmState mm_;
  std::vector<PageCopy> copied_;  // ascending addresses; in_parent ones without data
  uint64_t pages_copied_ = 0;
};

// The final round's plan: `runs` as extents, reusing the bytes of pages in `copied` that are
// `clean` (not written since), with slots from `pool` for the pages not copied; clean pages of
// an in_parent extent of `copied` stay in_parent. `to_read` lists the extents to read now
// (written or new pages), `kept` the others (their copies reused).
FinalPlan plan_final_round(std::span<const SavedRun> runs, const std::vector<PageCopy>& copied,
                           const std::vector<proc::PageRange>& clean, PagePool& pool);

// Reads `runs` of stopped process `pid` into extents taken from `pool` (no pre-copy).
std::vector<PageCopy> copy_pages(pid_t pid, std::span<const SavedRun> runs, PagePool& pool,
                                   uint64_t& pages_read);

}  // namespace ckpt::dump
