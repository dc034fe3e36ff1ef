// A migration's held (pre-copied) pages filled after the resume (`ckpt receive`, with --lazy or
// without): they are not written before the restored processes run. Their private anonymous
// VMAs stay registered with a userfaultfd of each mm (missing mode, kernel-mode faults
// included), and one thread of ours serves it from the moment it is registered, through the
// rest of the restore and after the resume: a fault gets its page at once (UFFDIO_COPY from the
// held pages, UFFDIO_ZEROPAGE where nothing is held, UFFDIO_WAKE when the page is there
// already), and once the processes run the same thread copies every other held page in the
// background, a slice at a time between faults. With --lazy, pages not on this host yet (a
// migration's final round, post-copied by the source) are asked for by `fetch` when a process
// faults on one, and copied in as they arrive (arrived()); without, every page is here and
// nothing is fetched.
// The process's events keep the plan right: a forked child's userfaultfd is served as its
// parent's (UFFD_EVENT_FORK; zeros in its MADV_WIPEONFORK VMAs), moved pages are followed
// (UFFD_EVENT_REMAP), pages dropped by MADV_DONTNEED or munmap are not filled any more
// (UFFD_EVENT_REMOVE, UFFD_EVENT_UNMAP). Once every page is in, the userfaultfds are closed: the
// processes keep no trace of them.
//
// Until then the processes depend on this object: if it goes (the process holding it killed),
// their unfilled pages read as zeros.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "common/records/mm.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

class HeldPages;

class PostCopy {
 public:
  // The pages come from `held`, which must outlive this object, and from arrived();
  // `fetch(image_id, address)` asks for a page that has not arrived (from the serving thread;
  // it must not throw).
  using Fetch = std::function<void(uint64_t image_id, uint64_t address)>;
  PostCopy(const HeldPages& held, Fetch fetch);
  // Stops serving and closes the userfaultfds (a restore that failed: the processes go too).
  ~PostCopy();
  PostCopy(const PostCopy&) = delete;
  PostCopy& operator=(const PostCopy&) = delete;

  // Serves `uffd` from now on (its VMAs registered, missing mode): `pending` are the held pages
  // of image process `image_id` that lie in them, `remote` the pages yet to arrive, both
  // ascending, none in the process yet; `wiped_on_fork` its registered MADV_WIPEONFORK VMAs
  // (a child forked before they are filled gets zeros there).
  void adopt(UniqueFd uffd, uint64_t image_id, std::vector<records::PageRun> pending,
             std::vector<records::PageRun> remote,
             std::vector<records::PageRun> wiped_on_fork = {});
  // Pages of image process `image_id` that were to arrive (copied; from any thread).
  void arrived(uint64_t image_id, uint64_t address, std::span<const std::byte> pages);
  // The processes run: the pending pages are copied in, between faults.
  void start_filling();
  // Waits up to `timeout` for every pending page to be in; true once it is (the userfaultfds
  // are closed then). Throws if serving failed (the userfaultfds stay open: the processes wait
  // on their faults until this object goes).
  bool wait_filled(std::chrono::milliseconds timeout);
  // Bytes the background fill has copied so far.
  uint64_t bytes_filled() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ckpt::restore
