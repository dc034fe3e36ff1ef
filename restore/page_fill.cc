#include "restore/page_fill.h"

#include <sys/syscall.h>
#include <sys/uio.h>

#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "common/proc/pagemap.h"
#include "common/ptrace/remote_memory.h"

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
  PageWriter(pid_t pid, pid_t ns_pid, const records::Pagemap& pagemap, Progress& progress)
      : pid_(pid), ns_pid_(ns_pid), runs_(pagemap.runs), progress_(progress) {}

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
void populate_ahead(Restorer& r, const records::Pagemap& pagemap, Progress& progress) {
  for (const auto& run : pagemap.runs) {
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

}  // namespace

void fill_pages(Restorer& r, const records::Pagemap& pagemap, const image::ImageReader& image,
                uint64_t image_id) {
  spdlog::debug("process {}: filling {} page runs", r.ns_pid(), pagemap.runs.size());
  Progress progress;
  PageWriter writer(r.host_pid(), r.ns_pid(), pagemap, progress);
  std::exception_ptr failed;
  std::thread copier([&] {
    try {
      image.read_stream(image::SectionType::kPages, image_id,
                        [&](std::span<const std::byte> chunk) { writer.consume(chunk); });
      writer.check_complete();
    } catch (...) {
      failed = std::current_exception();
      progress.abort();
    }
  });
  try {
    populate_ahead(r, pagemap, progress);
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

}  // namespace ckpt::restore
