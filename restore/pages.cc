#include "restore/pages.h"

#include <sys/syscall.h>
#include <sys/uio.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "common/cancel.h"
#include "common/error.h"
#include "common/log.h"
#include "common/proc/pagemap.h"
#include "common/ptrace/remote_memory.h"
#include "restore/pages_post_copy.h"
#include "restore/pages_uffd.h"

namespace ckpt::restore {
namespace {

using proc::kPageSize;

constexpr uint64_t kSliceBytes = 16u << 20;
constexpr uint64_t kPopulateMinPages = 64;  // smaller runs fault in as they are written
constexpr int kMadvPopulateWrite = 23;

// How far (in bytes of the page stream) the target memory is populated; shared by the tracer,
// which advances it, and the writer, which waits for it.
class Progress {
 public:
  void advance(uint64_t bytes) {
    {
      std::lock_guard lock(mutex_);
      done_ += bytes;
    }
    changed_.notify_all();
  }
  void abort() {
    {
      std::lock_guard lock(mutex_);
      aborted_ = true;
    }
    changed_.notify_all();
  }
  bool aborted() {
    std::lock_guard lock(mutex_);
    return aborted_;
  }
  // Waits until `bytes` are populated; false when aborted.
  bool wait_for(uint64_t bytes) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return aborted_ || done_ >= bytes; });
    return !aborted_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t done_ = 0;
  bool aborted_ = false;
};

// Copies the stream into the runs of the pagemap, chunk by chunk, each once it is populated.
class PageWriter {
 public:
  PageWriter(pid_t pid, pid_t ns_pid, const std::vector<records::PageRun>& runs,
             Progress& progress)
      : pid_(pid), ns_pid_(ns_pid), runs_(runs), progress_(progress) {}

  void consume(std::span<const std::byte> chunk) {
    std::vector<iovec> remote;
    for (size_t left = chunk.size(); left;) {
      if (run_ >= runs_.size()) fail("process {}: page stream longer than its pagemap", ns_pid_);
      uint64_t run_bytes = runs_[run_].pages * kPageSize;
      uint64_t take = std::min<uint64_t>(left, run_bytes - done_in_run_);
      remote.push_back({reinterpret_cast<void*>(runs_[run_].start + done_in_run_), take});
      done_in_run_ += take;
      left -= take;
      if (done_in_run_ == run_bytes) ++run_, done_in_run_ = 0;
    }
    written_ += chunk.size();
    if (!progress_.wait_for(written_)) fail("process {}: populating its memory failed", ns_pid_);
    ptrace::write_ranges(pid_, remote, chunk.data());
  }

  void check_complete() const {
    if (run_ != runs_.size()) fail("process {}: page stream shorter than its pagemap", ns_pid_);
  }
  uint64_t written() const { return written_; }

 private:
  pid_t pid_;
  pid_t ns_pid_;
  const std::vector<records::PageRun>& runs_;
  Progress& progress_;
  size_t run_ = 0;
  uint64_t done_in_run_ = 0;
  uint64_t written_ = 0;
};

// Populates the runs slice by slice, in stream order, telling `progress` after each.
void populate_ahead(Restorer& r, const std::vector<records::PageRun>& runs, Progress& progress) {
  for (const auto& run : runs) {
    uint64_t bytes = run.pages * kPageSize;
    for (uint64_t off = 0; off < bytes; off += kSliceBytes) {
      if (progress.aborted()) return;
      uint64_t size = std::min(kSliceBytes, bytes - off);
      if (run.pages >= kPopulateMinPages &&
          r.main().call(SYS_madvise, run.start + off, size, kMadvPopulateWrite) != 0)
        spdlog::debug("MADV_POPULATE_WRITE {:#x} failed; pages fault in", run.start + off);
      progress.advance(size);
    }
  }
}

// The populate + process_vm_writev fill of the process's own stream, for processes whose memory
// userfaultfd cannot fill.
void fill_own_by_writev(Restorer& r, const chain::PageSource& own) {
  spdlog::debug("process {}: filling {} page runs by populate + process_vm_writev", r.ns_pid(),
                own.stored.size());
  Progress progress;
  PageWriter writer(r.host_pid(), r.ns_pid(), own.stored, progress);
  std::exception_ptr failed;
  std::thread copier([&] {
    try {
      own.image->read_stream(image::SectionType::kPages, own.id,
                             [&](std::span<const std::byte> chunk) { writer.consume(chunk); });
      writer.check_complete();
    } catch (...) {
      failed = std::current_exception();
      progress.abort();
    }
  });
  try {
    populate_ahead(r, own.stored, progress);
  } catch (...) {
    progress.abort();
    copier.join();
    throw;
  }
  progress.advance(UINT64_MAX / 2);  // whatever the pagemap did not cover: nothing to wait for
  copier.join();
  if (failed) std::rethrow_exception(failed);
  spdlog::debug("process {}: {} MiB of pages written", r.ns_pid(), writer.written() >> 20);
}

// Splits [address, address + size) into registered and unregistered pieces, in order.
template <typename Piece>
void for_each_uffd_piece(const UffdFill* uffd, uint64_t address, uint64_t size, Piece piece) {
  if (!uffd) return piece(address, size, false);
  while (size) {
    auto [length, registered] = uffd->leading_piece(address, size);
    if (length == 0) fail("pages at {:#x}: no piece of the address space", address);
    piece(address, length, registered);
    address += length;
    size -= length;
  }
}

// Calls `part(at, size)` for the parts of [start, end) outside `skip` (ascending, not
// overlapping).
template <typename Part>
void for_each_gap(const chain::Ranges& skip, uint64_t start, uint64_t end, Part part) {
  uint64_t at = start;
  auto next = std::upper_bound(skip.begin(), skip.end(), std::make_pair(at, UINT64_MAX));
  if (next != skip.begin() && std::prev(next)->second > at) --next;
  for (; next != skip.end() && next->first < end && at < end; ++next) {
    if (next->first > at) part(at, next->first - at);
    at = std::max(at, next->second);
  }
  if (at < end) part(at, end - at);
}

// Calls `place(address, part)` for the parts of `bytes` (at `address`) outside `skip`
// (ascending, not overlapping).
template <typename Place>
void for_each_outside(const chain::Ranges& skip, uint64_t address, std::span<const std::byte> bytes,
                      Place place) {
  for_each_gap(skip, address, address + bytes.size(), [&](uint64_t at, uint64_t size) {
    place(at, bytes.subspan(at - address, size));
  });
}

// Runs outside the registered VMAs (private file mappings' own pages) are populated up front;
// they are written with process_vm_writev as their chunks come. Not those in `prefilled` (a
// region of pages shared copy-on-write): a write fault would give the process copies of them.
void populate_unregistered(Restorer& r, const records::Pagemap& pagemap, const UffdFill* uffd,
                           const chain::Ranges& prefilled) {
  auto populate = [&](uint64_t address, uint64_t size, bool registered) {
    if (registered || size < kPopulateMinPages * kPageSize) return;
    if (r.main().call(SYS_madvise, address, size, kMadvPopulateWrite) != 0)
      spdlog::debug("MADV_POPULATE_WRITE {:#x} failed", address);
  };
  for (const auto& run : pagemap.runs)
    for_each_gap(prefilled, run.start, run.start + run.pages * kPageSize,
                 [&](uint64_t at, uint64_t size) { for_each_uffd_piece(uffd, at, size, populate); });
}

struct FillCounts {
  std::atomic<uint64_t> copied = 0;   // by UFFDIO_COPY
  std::atomic<uint64_t> written = 0;  // by process_vm_writev
};

// Puts `bytes` at `address` of the process: by UFFDIO_COPY where registered, else written.
void place(pid_t host_pid, const UffdFill* uffd, uint64_t address, std::span<const std::byte> bytes,
           FillCounts& counts) {
  for_each_uffd_piece(uffd, address, bytes.size(),
                      [&](uint64_t at, uint64_t size, bool registered) {
                        auto piece = bytes.subspan(at - address, size);
                        if (registered) {
                          uffd->copy(at, piece);
                          counts.copied += size;
                        } else {
                          ptrace::write_memory(host_pid, at, piece.data(), size);
                          counts.written += size;
                        }
                      });
}


// Writes `pieces` (ascending, their pages placed already) over the pages of the process outside
// `skip`, with one process_vm_writev for each stretch of them that lies back to back in our
// memory (a decoded chunk's pages), not one per page.
void write_over(pid_t host_pid, std::span<const chain::Piece> pieces, const chain::Ranges& skip,
                FillCounts& counts) {
  std::vector<iovec> remote;
  const std::byte* local = nullptr;  // where the stretch starts
  const std::byte* next = nullptr;   // where it would go on
  auto write = [&] {
    if (!remote.empty()) ptrace::write_ranges(host_pid, remote, local);
    remote.clear();
  };
  for (const auto& piece : pieces)
    for_each_outside(skip, piece.address, piece.bytes, [&](uint64_t at, auto part) {
      if (part.data() != next) {
        write();
        local = part.data();
      }
      remote.push_back({reinterpret_cast<void*>(at), part.size()});
      next = part.data() + part.size();
      counts.written += part.size();
    });
  write();
}

// Decompressed chunks go straight into the process, on the reader's decoding threads, several
// chunks at once; along a chain of images, the oldest link's stream whole, then the newer links'
// pages over it (chain::read_layered). Pages in `prefilled` are there already (a region of pages
// shared copy-on-write) and stay as they are.
void fill_by_uffd(Restorer& r, const UffdFill& uffd, const records::Pagemap& pagemap,
                  const std::vector<chain::PageSource>& sources, const chain::Ranges& prefilled) {
  spdlog::debug("process {}: filling {} page runs from {} images, {} MiB of VMAs registered for "
                "UFFDIO_COPY",
                r.ns_pid(), pagemap.runs.size(), sources.size(), uffd.registered_bytes() >> 20);
  populate_unregistered(r, pagemap, &uffd, prefilled);
  FillCounts counts;
  auto place_here = [&](uint64_t address, std::span<const std::byte> bytes) {
    for_each_outside(prefilled, address, bytes, [&](uint64_t at, auto part) {
      place(r.host_pid(), &uffd, at, part, counts);
    });
  };
  throw_if_cancelled();
  if (sources.size() > 1) {
    chain::read_layered(sources, place_here, [&](std::span<const chain::Piece> pieces) {
      write_over(r.host_pid(), pieces, prefilled, counts);
    });
    spdlog::debug("process {}: {} MiB of pages by UFFDIO_COPY, {} MiB by process_vm_writev, "
                  "the newer links' pages written over the oldest's",
                  r.ns_pid(), counts.copied >> 20, counts.written >> 20);
    return;
  }
  chain::read_pages(sources.front(), place_here);
  spdlog::debug("process {}: {} MiB of pages by UFFDIO_COPY, {} MiB by process_vm_writev",
                r.ns_pid(), counts.copied >> 20, counts.written >> 20);
}

// Without userfaultfd: the parts kept in its parents, oldest first, each range populated first
// and written with process_vm_writev, then the process's own stream as before.
void fill_by_writev(Restorer& r, const std::vector<chain::PageSource>& sources) {
  for (size_t i = 0; i + 1 < sources.size(); ++i) {
    throw_if_cancelled();
    for (auto [start, end] : sources[i].wanted)
      if (end - start >= kPopulateMinPages * kPageSize &&
          r.main().call(SYS_madvise, start, end - start, kMadvPopulateWrite) != 0)
        spdlog::debug("MADV_POPULATE_WRITE {:#x} failed; pages fault in", start);
    chain::read_pages(sources[i], [&](uint64_t address, std::span<const std::byte> bytes) {
      ptrace::write_memory(r.host_pid(), address, bytes.data(), bytes.size());
    });
  }
  fill_own_by_writev(r, sources.back());
}

// Set (to anything) in the environment, restore fills memory without userfaultfd.
bool uffd_fill_disabled() {
  return std::getenv("CKPT_NO_UFFD_FILL") != nullptr;
}

// A migration's held pages (disjoint from the image's): their ranges populated in bulk
// (MADV_POPULATE_WRITE injected) and the pages written into them with process_vm_writev (~10
// GB/s into populated memory): for 1 GiB held, 0.64 s + 0.21 s on a loaded machine where
// UFFDIO_COPY took 1.29 s, inside a migration's downtime.
void fill_held(Restorer& r, const HeldPages& held, uint64_t image_id) {
  records::Pagemap map;
  map.runs = held.runs(image_id);
  populate_unregistered(r, map, nullptr, {});
  FillCounts counts;
  held.for_each(image_id, [&](uint64_t address, std::span<const std::byte> bytes) {
    place(r.host_pid(), nullptr, address, bytes, counts);
  });
  spdlog::debug("process {}: {} MiB of held pages written", r.ns_pid(), counts.written >> 20);
}

// Appends [address, address + size) to `runs`, joined to the last run where it continues it.
void append_run(std::vector<records::PageRun>& runs, uint64_t address, uint64_t size) {
  if (!runs.empty() && runs.back().start + runs.back().pages * kPageSize == address)
    runs.back().pages += size / kPageSize;
  else
    runs.push_back({address, size / kPageSize});
}

// The registered VMAs of `mm` that a fork leaves empty in the child (MADV_WIPEONFORK).
std::vector<records::PageRun> wiped_on_fork(const records::MmState& mm, const UffdFill& uffd) {
  std::vector<records::PageRun> wiped;
  for (const auto& vma : mm.vmas)
    if ((vma.advice & records::kAdviceWipeOnFork) && uffd.leading_piece(vma.start, 1).second)
      wiped.push_back({vma.start, vma.size() / kPageSize});
  return wiped;
}

// A migration's fill after the resume: the image's pages (the final round's) go in now, by
// UFFDIO_COPY; the held ones in registered VMAs are left to `post_copy`, which serves the
// process's faults from here on and copies the rest once it runs; held ones elsewhere are
// written now. False, with nothing done, when the process can have no userfaultfd that takes
// kernel-mode faults and no page is to come from the source (the held pages are then filled
// before the resume); with such pages (--lazy) that fails.
bool fill_post_copy(Restorer& r, const records::MmState& mm, const records::Pagemap& pagemap,
                    const std::vector<chain::PageSource>& sources, const HeldPages& held,
                    uint64_t image_id, PostCopy& post_copy) {
  auto remote = held.post_copied_runs(image_id);
  auto uffd = UffdFill::open_for_post_copy(r);
  if (!uffd && remote.empty()) {
    spdlog::debug("process {}: no userfaultfd for kernel-mode faults: its held pages are filled "
                  "before the resume",
                  r.ns_pid());
    return false;
  }
  if (!uffd)
    fail("process {}: a post-copy (--lazy) needs a userfaultfd that takes kernel-mode faults, "
         "which this kernel refuses the process (vm.unprivileged_userfaultfd?)",
         r.ns_pid());
  records::Pagemap all;  // the image's, the held and the post-copied pages: their VMAs
  all.runs = held.runs(image_id);
  all.runs.insert(all.runs.end(), pagemap.runs.begin(), pagemap.runs.end());
  all.runs.insert(all.runs.end(), remote.begin(), remote.end());
  std::sort(all.runs.begin(), all.runs.end(),
            [](const auto& a, const auto& b) { return a.start < b.start; });
  uffd->register_vmas(mm, all);
  if (!pagemap.runs.empty()) fill_by_uffd(r, *uffd, pagemap, sources, {});
  std::vector<records::PageRun> pending;
  FillCounts counts;
  held.for_each(image_id, [&](uint64_t address, std::span<const std::byte> bytes) {
    for_each_uffd_piece(uffd.get(), address, bytes.size(),
                        [&](uint64_t at, uint64_t size, bool registered) {
                          if (registered) return append_run(pending, at, size);
                          ptrace::write_memory(r.host_pid(), at, bytes.data() + (at - address),
                                               size);
                          counts.written += size;
                        });
  });
  for (const auto& run : remote)
    for_each_uffd_piece(uffd.get(), run.start, run.pages * kPageSize,
                        [&](uint64_t at, uint64_t, bool registered) {
                          if (!registered)
                            fail("process {}: pages at {:#x} are to come after the resume, "
                                 "but their VMA could not be registered for it",
                                 r.ns_pid(), at);
                        });
  uint64_t pending_bytes = 0;
  for (const auto& run : pending) pending_bytes += run.pages * kPageSize;
  spdlog::debug("process {}: {} MiB of held pages left to the post-copy, {} runs to come, {} "
                "MiB written",
                r.ns_pid(), pending_bytes >> 20, remote.size(), counts.written >> 20);
  auto wiped = wiped_on_fork(mm, *uffd);
  post_copy.adopt(uffd->take_fd(), image_id, std::move(pending), std::move(remote),
                  std::move(wiped));
  return true;
}

}  // namespace

void check_pagemap(const records::Pagemap& pagemap, pid_t pid) {
  constexpr uint64_t kUserTop = uint64_t{1} << 57;  // 5-level paging's user address space
  uint64_t end = 0;
  for (const auto& run : pagemap.runs) {
    if (run.start % kPageSize != 0 || run.pages == 0 || run.start < end || run.start >= kUserTop ||
        run.pages > (kUserTop - run.start) / kPageSize)
      fail("process {}: damaged pagemap: a run of {} pages at {:#x}", pid, run.pages, run.start);
    end = run.start + run.pages * kPageSize;
  }
}

void fill_pages(Restorer& r, const records::MmState& mm, const records::Pagemap& pagemap,
                const std::vector<chain::PageSource>& sources, const HeldPages* held,
                uint64_t image_id, PostCopy* post_copy, const chain::Ranges& prefilled) {
  check_pagemap(pagemap, r.ns_pid());
  if (held && post_copy &&
      (!held->runs(image_id).empty() || !held->post_copied_runs(image_id).empty()) &&
      fill_post_copy(r, mm, pagemap, sources, *held, image_id, *post_copy))
    return;
  if (held && !held->runs(image_id).empty()) {  // a migration: most pages are held
    fill_held(r, *held, image_id);
    if (!pagemap.runs.empty()) fill_by_writev(r, sources);  // the final round's, disjoint
    return;
  }
  std::unique_ptr<UffdFill> uffd = uffd_fill_disabled() ? nullptr : UffdFill::open(r);
  if (uffd) uffd->register_vmas(mm, pagemap);
  if (uffd && uffd->registered_bytes())
    fill_by_uffd(r, *uffd, pagemap, sources, prefilled);
  else if (!pagemap.runs.empty())
    fill_by_writev(r, sources);
}  // closing the userfaultfd unregisters its ranges

}  // namespace ckpt::restore
