// Page contents of a --leave-running dump held in memory until the processes are released:
// pre-copied while they run (ckpt/pages_precopy.h), completed while they are stopped, compressed and
// written to the image after they run again. The freeze window then holds only the final round.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "ckpt/pages_index.h"
#include "ckpt/pages.h"
#include "ckpt/pages_pool.h"
#include "ckpt/pages_precopy.h"
#include "ckpt/seize.h"
#include "common/image/image.h"
#include "common/records/mm.h"

namespace ckpt::dump {

class DeferredPages {
 public:
  // Whether copies of `pids`' anonymous memory fit in half the memory available: if not, pages
  // are better streamed into the image with the processes stopped.
  static bool fits_in_memory(const std::vector<pid_t>& pids);

  // Faults in memory for the copies of `pids`' anonymous memory. With `precopy`, seizes them
  // for a moment to set up write tracking, then copies their memory while they run; with an
  // `index` that has a parent image, only the pages that differ from it are copied.
  DeferredPages(const std::vector<pid_t>& pids, bool precopy, const PageIndex* index = nullptr);
  ~DeferredPages();
  DeferredPages(const DeferredPages&) = delete;
  DeferredPages& operator=(const DeferredPages&) = delete;

  // The layout of `pid` seen by its pre-copy (nullptr if none), to collect it faster.
  const records::MmState* earlier_mm(pid_t pid) const;
  // Final round for `pid`, stopped: its pages as they are now, in memory.
  void take(pid_t pid, const records::MmState& mm);
  // Ends write tracking: every range unregistered, write-protection dropped.
  void stop_tracking();
  // Writes each process's kPages stream and kPagemap record (id = pid); with `index`, pages
  // unchanged since its parent are left out.
  void write(image::ImageWriter& image, PageIndex* index = nullptr);
  // The same in two parts, for a stream-ordered image (ckpt/pages_late.h): every kPagemap record,
  // then every kPages stream.
  void write_pagemaps(image::ImageWriter& image, PageIndex* index = nullptr);
  void write_streams(image::ImageWriter& image, PageIndex* index = nullptr);

  // Migration: the pages copied so far, process by process (the first round's copies).
  void for_each_copied(const std::function<void(pid_t, const PageCopy&)>& consume) const;
  // Migration: another round, the processes running: the pages written since the last one are
  // copied again and handed to `consume`; returns their number.
  uint64_t recopy_written(const std::function<void(pid_t, const PageCopy&)>& consume);
  // Migration: write() then stores only the pages read in the final round; the pages whose
  // copies it reused (the receiver holds them already) are listed by kept(pid).
  void leave_unchanged_out() { changed_only_ = true; }
  std::vector<records::PageRun> kept(pid_t pid) const;
  std::vector<pid_t> pids_taken() const;
  // Migration's post-copy (--lazy), with leave_unchanged_out: the pages read in the final round
  // that lie in private anonymous VMAs stay out of the image too; the source sends them once the
  // target runs (post_copied), and any of them the target asks for first (post_copied_at).
  void post_copy_changed() { post_copy_ = true; }
  // Pure post-copy (--lazy --max-rounds 0): no round sent anything, so the receiver holds no
  // page. Every page the final round has, read or reused, goes out of the image if it lies in
  // a private anonymous VMA (post-copied), in it otherwise; kept() lists none.
  void post_copy_all() { post_copy_ = nothing_sent_ = true; }
  const std::vector<PageCopy>& post_copied(pid_t pid) const;
  // The post-copied pages of `pid` from `address` on, contiguous, at most `pages` (none: empty).
  PageCopy post_copied_at(pid_t pid, uint64_t address, uint64_t pages) const;

  // Pages copied before the final round, and read in it.
  uint64_t pages_precopied() const { return precopied_; }
  uint64_t pages_read_in_final_round() const { return final_read_; }

 private:
  PagePool pool_;
  std::map<pid_t, std::unique_ptr<Precopy>> precopies_;
  std::map<pid_t, std::vector<PageCopy>> taken_;
  std::map<pid_t, std::vector<PageCopy>> kept_;
  std::map<pid_t, std::vector<PageCopy>> post_copied_;  // by address
  // The pagemap of `pid`'s taken pages, writing them to `out`.
  records::Pagemap write_stream(pid_t pid, image::ImageWriter::Stream& out,
                                const PageIndex* index) const;
  bool changed_only_ = false;
  bool post_copy_ = false;
  bool nothing_sent_ = false;
  uint64_t precopied_ = 0;
  uint64_t final_read_ = 0;
};

// Ends write tracking when it goes out of scope. Declared after the guards that hold the
// processes (freezer, seize), it ends tracking before they are released, on failure too.
class TrackingGuard {
 public:
  explicit TrackingGuard(DeferredPages* pages) : pages_(pages) {}
  ~TrackingGuard() {
    if (pages_) pages_->stop_tracking();
  }
  TrackingGuard(const TrackingGuard&) = delete;
  TrackingGuard& operator=(const TrackingGuard&) = delete;

 private:
  DeferredPages* pages_;
};

}  // namespace ckpt::dump
