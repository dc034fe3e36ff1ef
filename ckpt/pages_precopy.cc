#include "ckpt/pages_precopy.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include "common/chain/page_hash.h"
#include "common/clock.h"
#include "ckpt/seccomp.h"
#include "common/ptrace/injection.h"
#include "common/error.h"
#include "common/image/worker_pool.h"
#include "common/log.h"
#include "common/proc/pagemap.h"
#include "common/proc/pagemap_scan.h"
#include "common/proc/stat.h"
#include "common/ptrace/tracee.h"

namespace ckpt::dump {
namespace {

using proc::kPageSize;

uint64_t end_of(const PageCopy& e) {
  return e.address + e.pages * kPageSize;
}

// The main thread of a running process held in a ptrace stop for as long as the object lives;
// the other threads run on. Seized without PTRACE_O_EXITKILL: should we die holding it, the
// process is let go, not killed. A signal that arrives first is delivered as usual. A process
// in a group stop (SIGSTOP, Ctrl-Z) is back in it when the object is gone: the freeze that
// follows must find it there (ckpt/seize.h, seize_stopped).
class MainThreadStop {
 public:
  explicit MainThreadStop(pid_t pid) : pid_(pid), group_stopped_(proc::state_of(pid) == 'T') {
    refuse_unsuspendable_seccomp(pid, pid);
    // It would never stop, and the dump could not seize it again: no pre-copy for it.
    if (proc::waits_for_vfork_child(pid)) fail("process {} waits in vfork()", pid);
    if (!ptrace::seize(pid, ptrace::default_options() & ~PTRACE_O_EXITKILL))
      fail("process {} is gone", pid);
    seized_ = true;
    if (!ptrace::interrupt(pid)) fail("process {} is gone", pid);
    wait();
  }
  ~MainThreadStop() {
    try {
      if (!stopped_) wait();
      ptrace::detach(pid_);
      if (group_stopped_) wait_back_in_group_stop();
    } catch (const Error& e) {  // exited, or stuck: the kernel lets it go when we exit
      spdlog::debug("{}", e.what());
    }
  }
  MainThreadStop(const MainThreadStop&) = delete;
  MainThreadStop& operator=(const MainThreadStop&) = delete;

 private:
  void wait() {
    for (;;) {
      int status = ptrace::wait_stop(pid_, std::chrono::seconds(2));
      if (ptrace::event_of(status) == PTRACE_EVENT_STOP) break;
      ptrace::resume(pid_, false, WSTOPSIG(status));  // the interrupt stop is still to come
    }
    stopped_ = true;
  }

  // Detached, it runs a moment before it stops again.
  void wait_back_in_group_stop() const {
    for (int i = 0; i < 1000 && proc::state_of(pid_) != 'T'; ++i) ::usleep(1000);
  }

  pid_t pid_;
  bool group_stopped_;
  bool seized_ = false;
  bool stopped_ = false;
};

// A userfaultfd made inside running process `pid` (stopped for the moment), as our own fd;
// none is left in the process.
UniqueFd userfaultfd_of(pid_t pid) {
  MainThreadStop stop(pid);
  ptrace::Injection injection(pid, pid);
  int error = 0;
  UniqueFd ours =
      ptrace::take_made_fd(injection.main(), pid, ptrace::kUserfaultfdLink, SYS_userfaultfd,
                           O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY, error);
  if (!ours) fail("userfaultfd in process {}: {}", pid, strerror(error));
  uffdio_api api{};
  api.api = UFFD_API;
  api.features = proc::uapi::kUffdFeatureWpAsync | proc::uapi::kUffdFeatureWpUnpopulated;
  if (::ioctl(ours.get(), UFFDIO_API, &api) != 0) throw_errno("UFFDIO_API (async write-protect)");
  return ours;
}

// Reads `extents` of a running process; those it cannot read (unmapped meanwhile) are dropped.
void read_while_running(pid_t pid, std::vector<PageCopy>& extents) {
  std::vector<PageCopy> kept;
  PageReader reader(pid);
  std::span<const PageCopy> left(extents);
  while (!left.empty()) {
    size_t done = reader.read(left, /*partial_ok=*/true);
    kept.insert(kept.end(), left.begin(), left.begin() + static_cast<long>(done));
    left = left.subspan(std::min(done + 1, left.size()));
  }
  extents = std::move(kept);
}

// Builds the final extents of a process: each page of the saved runs either reuses its
// pre-copied bytes (copied and clean since), or is (re)read into a slot.
class FinalRound {
 public:
  FinalRound(const std::vector<PageCopy>& copied, const std::vector<proc::PageRange>& clean,
             PagePool& pool)
      : copied_(copied), clean_(clean), pool_(pool) {}

  void add(const SavedRun& run) {
    skip_zero_ = run.skip_zero;
    uint64_t start = run.start, end = run.start + run.pages * kPageSize;
    while (start < end) {
      while (ci_ < copied_.size() && end_of(copied_[ci_]) <= start) ++ci_;
      if (ci_ == copied_.size() || copied_[ci_].address >= end) {
        fresh(start, end);
        return;
      }
      const PageCopy& c = copied_[ci_];
      if (c.address > start) {
        fresh(start, c.address);
        start = c.address;
      }
      uint64_t stop = std::min(end, end_of(c));
      reuse_clean(start, stop, c.in_parent ? nullptr : c.data + (start - c.address));
      start = stop;
    }
  }

  std::vector<PageCopy> extents;
  std::vector<PageCopy> to_read;
  std::vector<PageCopy> kept;

 private:
  void fresh(uint64_t start, uint64_t end) {
    while (start < end) {
      uint64_t got = 0;
      char* data = pool_.take((end - start) / kPageSize, got);
      emit(start, got, data, true);
      start += got * kPageSize;
    }
  }

  // [start, stop) was pre-copied to `data` (null: found unchanged since the parent image):
  // clean pages are kept (or stay in the parent), written ones read again.
  void reuse_clean(uint64_t start, uint64_t stop, char* data) {
    while (start < stop) {
      while (ki_ < clean_.size() && clean_[ki_].end <= start) ++ki_;
      bool clean = ki_ < clean_.size() && clean_[ki_].start <= start;
      uint64_t until = stop;
      if (clean)
        until = std::min(stop, clean_[ki_].end);
      else if (ki_ < clean_.size())
        until = std::min(stop, clean_[ki_].start);
      if (data)
        emit(start, (until - start) / kPageSize, data, !clean);
      else if (clean)
        extents.push_back({start, (until - start) / kPageSize, nullptr, skip_zero_, true});
      else
        fresh(start, until);
      if (data) data += until - start;
      start = until;
    }
  }

  void emit(uint64_t address, uint64_t pages, char* data, bool read) {
    PageCopy e{address, pages, data, skip_zero_};
    extents.push_back(e);
    (read ? to_read : kept).push_back(e);
  }

  const std::vector<PageCopy>& copied_;
  const std::vector<proc::PageRange>& clean_;
  PagePool& pool_;
  size_t ci_ = 0, ki_ = 0;
  bool skip_zero_ = false;
};

}  // namespace

FinalPlan plan_final_round(std::span<const SavedRun> runs, const std::vector<PageCopy>& copied,
                           const std::vector<proc::PageRange>& clean, PagePool& pool) {
  FinalRound round(copied, clean, pool);
  for (const auto& run : runs) round.add(run);
  return {std::move(round.extents), std::move(round.to_read), std::move(round.kept)};
}

Precopy::Precopy(pid_t pid, const ParentPages* parent) : pid_(pid), parent_(parent) {
  try {
    pagemap_ = proc::open_pagemap(pid);
    uffd_ = userfaultfd_of(pid);
  } catch (const Error& e) {
    spdlog::debug("process {}: no pre-copy: {}", pid, e.what());
  }
}

// Registers each private mapping for async write-protection and protects its pages.
void Precopy::track(const records::MmState& mm) {
  for (const auto& vma : mm.vmas) {
    bool saved = vma.kind == records::VmaKind::kAnonymous || vma.kind == records::VmaKind::kFile;
    if (!saved || (vma.flags & MAP_SHARED) || !(vma.prot & PROT_READ)) continue;
    uffdio_register reg{};
    reg.range = {vma.start, vma.size()};
    reg.mode = UFFDIO_REGISTER_MODE_WP;
    if (::ioctl(uffd_.get(), UFFDIO_REGISTER, &reg) != 0) {
      spdlog::debug("process {}: {:#x}-{:#x} not tracked: {}", pid_, vma.start, vma.end,
                    strerror(errno));
      continue;
    }
    proc::write_protect_present(pagemap_.get(), vma.start, vma.end);
  }
}

void Precopy::copy(PagePool& pool) {
  if (!uffd_) return;
  try {
    mm_ = collect_mm(pid_);
    track(mm_);
    auto runs = saved_runs(pid_, mm_);
    if (parent_) return copy_changed(runs, pool);
    for (const auto& run : runs)
      for (uint64_t done = 0; done < run.pages;) {
        uint64_t got = 0;
        char* data = pool.take(run.pages - done, got);
        copied_.push_back({run.start + done * kPageSize, got, data, run.skip_zero});
        done += got;
      }
    read_while_running(pid_, copied_);
    for (const auto& e : copied_) pages_copied_ += e.pages;
  } catch (const Error& e) {
    spdlog::debug("process {}: pre-copy abandoned: {}", pid_, e.what());
    copied_.clear();
  }
}

namespace {

// The parts of `copied` (ascending) inside `ranges` (ascending), pointing into the copies.
std::vector<PageCopy> parts_in(const std::vector<PageCopy>& copied,
                                 const std::vector<proc::PageRange>& ranges) {
  std::vector<PageCopy> parts;
  size_t first = 0;
  for (const auto& range : ranges) {
    while (first < copied.size() && end_of(copied[first]) <= range.start) ++first;
    for (size_t i = first; i < copied.size() && copied[i].address < range.end; ++i) {
      const PageCopy& c = copied[i];
      uint64_t start = std::max(range.start, c.address), end = std::min(range.end, end_of(c));
      parts.push_back({start, (end - start) / kPageSize, c.data + (start - c.address), c.skip_zero});
    }
  }
  return parts;
}

// Appends a page to `extents`, joined to the last extent when it continues it.
void append_page(std::vector<PageCopy>& extents, uint64_t address, char* data, bool skip_zero,
                 bool in_parent) {
  if (!extents.empty()) {
    PageCopy& last = extents.back();
    bool follows = end_of(last) == address && last.in_parent == in_parent &&
                   (in_parent || last.data + last.pages * kPageSize == data);
    if (follows) {
      ++last.pages;
      return;
    }
  }
  extents.push_back({address, 1, data, skip_zero, in_parent});
}

}  // namespace

std::vector<PageCopy> Precopy::recopy() {
  if (copied_.empty()) return {};
  try {
    auto written = proc::scan_pages(
        pagemap_.get(), copied_.front().address, end_of(copied_.back()),
        {.required = proc::kPageWpAllowed | proc::kPageWritten, .write_protect = true});
    auto parts = parts_in(copied_, written);
    read_while_running(pid_, parts);
    return parts;
  } catch (const Error& e) {  // gone, or untrackable now: read whole in the final round
    spdlog::debug("process {}: pre-copy round abandoned: {}", pid_, e.what());
    copied_.clear();
    return {};
  }
}

namespace {

// A part of the saved runs that one thread reads, hashes and compares with the parent's pages.
struct HashBatch {
  uint64_t address = 0;
  uint64_t pages = 0;
  bool skip_zero = false;
};

// Small enough that a batch is hashed while it is still in the CPU's cache.
constexpr uint64_t kHashBatchBytes = 512u << 10;

// `runs` cut into batches of at most kHashBatchBytes.
std::vector<HashBatch> hash_batches(std::span<const SavedRun> runs) {
  constexpr uint64_t kBatchPages = kHashBatchBytes / kPageSize;
  std::vector<HashBatch> batches;
  for (const auto& run : runs)
    for (uint64_t done = 0; done < run.pages; done += kBatchPages)
      batches.push_back({run.start + done * kPageSize, std::min(kBatchPages, run.pages - done),
                         run.skip_zero});
  return batches;
}

}  // namespace

void Precopy::copy_changed(std::span<const SavedRun> runs, PagePool& pool) {
  // Reading every page (process_vm_readv) is what an incremental dump costs: done on every CPU,
  // each thread a contiguous share of the batches, so that their extents join in address order.
  auto batches = hash_batches(runs);
  size_t threads = std::min<size_t>(batches.size(), image::resolve_threads(0));
  std::vector<std::vector<PageCopy>> parts(threads);
  std::vector<uint64_t> pages(threads);
  std::vector<std::exception_ptr> failures(threads);
  std::mutex pool_mutex;
  auto work = [&](size_t t) {
    try {
      PagePool scratch(kHashBatchBytes);
      PageReader reader(pid_);
      uint64_t got = 0;
      char* buffer = scratch.take(kHashBatchBytes / kPageSize, got);
      size_t first = batches.size() * t / threads, last = batches.size() * (t + 1) / threads;
      for (size_t b = first; b < last; ++b) {
        const HashBatch& batch = batches[b];
        PageCopy read{batch.address, batch.pages, buffer, batch.skip_zero};
        if (reader.read({&read, 1}, /*partial_ok=*/true) == 0) continue;  // unmapped
        for (uint64_t i = 0; i < batch.pages; ++i) {
          uint64_t address = batch.address + i * kPageSize;
          const char* page = buffer + i * kPageSize;
          if (parent_->has(address, chain::page_hash(page))) {
            append_page(parts[t], address, nullptr, batch.skip_zero, true);
            continue;
          }
          char* slot = nullptr;
          {
            std::lock_guard lock(pool_mutex);
            uint64_t one = 0;
            slot = pool.take(1, one);
          }
          std::memcpy(slot, page, kPageSize);
          append_page(parts[t], address, slot, batch.skip_zero, false);
        }
        pages[t] += batch.pages;
      }
    } catch (...) {
      failures[t] = std::current_exception();
    }
  };
  std::vector<std::thread> workers;
  for (size_t t = 1; t < threads; ++t) workers.emplace_back(work, t);
  if (threads) work(0);
  for (auto& worker : workers) worker.join();
  for (auto& failure : failures)
    if (failure) std::rethrow_exception(failure);
  for (size_t t = 0; t < threads; ++t) {
    copied_.insert(copied_.end(), parts[t].begin(), parts[t].end());
    pages_copied_ += pages[t];
  }
}

FinalPlan Precopy::finish(std::span<const SavedRun> runs, PagePool& pool, uint64_t& pages_read) {
  auto start = std::chrono::steady_clock::now();
  std::vector<proc::PageRange> clean;
  if (!copied_.empty() && !runs.empty()) {
    uint64_t end = runs.back().start + runs.back().pages * kPageSize;
    clean = proc::scan_pages(pagemap_.get(), runs.front().start, end,
                             {.required = proc::kPageWpAllowed, .excluded = proc::kPageWritten});
  }
  double scanned_ms = ms_since(start);
  FinalPlan plan = plan_final_round(runs, copied_, clean, pool);
  double planned_ms = ms_since(start);
  PageReader(pid_).read(plan.to_read, /*partial_ok=*/false);
  spdlog::debug("process {}: final round: written pages scanned in {:.1f} ms ({} clean ranges), "
                "planned in {:.1f} ms, read in {:.1f} ms",
                pid_, scanned_ms, clean.size(), planned_ms - scanned_ms, ms_since(start) - planned_ms);
  uint64_t read = 0;
  for (const auto& e : plan.to_read) read += e.pages;
  pages_read += read;
  spdlog::debug("process {}: {} pages pre-copied, {} read in the final round", pid_, pages_copied_,
                read);
  return plan;
}

std::vector<PageCopy> copy_pages(pid_t pid, std::span<const SavedRun> runs, PagePool& pool,
                                   uint64_t& pages_read) {
  FinalPlan plan = plan_final_round(runs, {}, {}, pool);
  PageReader(pid).read(plan.to_read, /*partial_ok=*/false);
  for (const auto& e : plan.to_read) pages_read += e.pages;
  return std::move(plan.extents);
}

}  // namespace ckpt::dump
