// Fills a restored process's memory from its page stream, in bulk. Private anonymous VMAs are
// registered with a userfaultfd of the process and filled by UFFDIO_COPY straight from the
// decompressed chunks, on the image reader's decoding threads (restore/pages_uffd.h). The rest
// (pages of private file mappings), or everything where userfaultfd is unavailable or
// CKPT_NO_UFFD_FILL is set: the tracer populates the target ranges (MADV_POPULATE_WRITE injected
// in the process) a slice ahead of a writer thread that copies the chunks in with large
// process_vm_writev calls, while the reader's pool decompresses the next ones.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "common/chain/page_sources.h"
#include "common/image/image.h"
#include "common/records/mm.h"
#include "restore/seize.h"

namespace ckpt::restore {

// Refuses a pagemap from an image whose runs are empty, unaligned, overlapping, out of order or
// beyond the user address space (such a run made the fill loop for ever).
void check_pagemap(const records::Pagemap& pagemap, pid_t pid);

// Pages held in memory outside the image, by image process id: a migration's pre-copied pages,
// which the final image does not carry again.
class HeldPages {
 public:
  virtual ~HeldPages() = default;
  // The runs held for process `image_id` (ascending, none in its pagemap).
  virtual std::vector<records::PageRun> runs(uint64_t image_id) const = 0;
  // Hands every held page of those runs to `consume`, in contiguous pieces.
  virtual void for_each(
      uint64_t image_id,
      const std::function<void(uint64_t address, std::span<const std::byte>)>& consume) const = 0;
  // The held bytes at `address` of process `image_id`, contiguous, at most `size`; empty where
  // nothing is held. Safe to call from several threads once every page is received.
  virtual std::span<const std::byte> piece(uint64_t image_id, uint64_t address,
                                           uint64_t size) const = 0;
  // A post-copy's (--lazy) pages of process `image_id` that come after the resume (ascending,
  // in private anonymous VMAs, none held nor in its pagemap).
  virtual std::vector<records::PageRun> post_copied_runs(uint64_t /*image_id*/) const {
    return {};
  }
};

class PostCopy;

// The VMAs of `mm` exist (writable, no pages yet) in the process; `sources` hold the pages of
// `pagemap`: the process's own page stream, and for an incremental image its parents' streams
// (chain/page_sources.h); `held` (if any) the others, a migration's pre-copied pages of image
// process `image_id`. With `post_copy` (a migration's fill after the resume), the held pages
// are left to it (restore/pages_post_copy.h): the process gets them once it runs (where it can
// have no userfaultfd for that, without --lazy, they are written now). Pages in `prefilled` are in
// the process already (shared copy-on-write, restore/cow_shared.h) and are left alone where
// userfaultfd fills (elsewhere they are written again: the same bytes, no longer shared).
void fill_pages(Restorer& r, const records::MmState& mm, const records::Pagemap& pagemap,
                const std::vector<chain::PageSource>& sources, const HeldPages* held = nullptr,
                uint64_t image_id = 0, PostCopy* post_copy = nullptr,
                const chain::Ranges& prefilled = {});

}  // namespace ckpt::restore
