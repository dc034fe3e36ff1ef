#include "ckpt/pages_deferred.h"

#include "ckpt/pages_late.h"

#include <algorithm>
#include <chrono>
#include <sstream>

#include "ckpt/mm.h"
#include "ckpt/pages_late.h"

#include "common/cancel.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proc/pagemap.h"

namespace ckpt::dump {
namespace {

// The value in bytes of a "Key:   123 kB" line of a /proc file (0 without one).
uint64_t kib_field(const std::string& path, const std::string& key) {
  std::istringstream text(fs::try_read_file(path).value_or(""));  // a process may be gone
  for (std::string line; std::getline(text, line);)
    if (line.rfind(key, 0) == 0) return std::stoull(line.substr(key.size())) * 1024;
  return 0;
}

uint64_t anonymous_bytes(const std::vector<pid_t>& pids) {
  uint64_t total = 0;
  for (pid_t pid : pids) total += kib_field("/proc/" + std::to_string(pid) + "/status", "RssAnon:");
  return total;
}

bool is_incremental(bool precopy, const PageIndex* index) {
  return precopy && index && index->has_parent();
}

// An incremental dump copies the pages that changed: few, usually (1% of 1 GiB is 10 MiB), so
// its pool grows in small blocks rather than in 64 MiB ones faulted in whole.
constexpr uint64_t kIncrementalBlockBytes = 4u << 20;

// Hands `extent` to `consume` in pieces that each lie in one VMA of `mm` (or in none: nullptr),
// in order.
template <typename Consume>
void split_by_vma(const PageCopy& extent, const records::MmState& mm, Consume consume) {
  uint64_t at = extent.address, end = extent.address + extent.pages * proc::kPageSize;
  while (at < end) {
    auto after = std::upper_bound(mm.vmas.begin(), mm.vmas.end(), at,
                                  [](uint64_t a, const records::Vma& v) { return a < v.start; });
    const records::Vma* vma = nullptr;
    uint64_t stop = end;
    if (after != mm.vmas.begin() && std::prev(after)->end > at) {
      vma = &*std::prev(after);
      stop = std::min(end, vma->end);
    } else if (after != mm.vmas.end()) {
      stop = std::min(end, after->start);
    }
    PageCopy piece = extent;
    piece.address = at;
    piece.pages = (stop - at) / proc::kPageSize;
    if (extent.data) piece.data = extent.data + (at - extent.address);
    consume(piece, vma);
    at = stop;
  }
}

}  // namespace

bool DeferredPages::fits_in_memory(const std::vector<pid_t>& pids) {
  return anonymous_bytes(pids) < kib_field("/proc/meminfo", "MemAvailable:") / 2;
}

DeferredPages::DeferredPages(const std::vector<pid_t>& pids, bool precopy,
                             const PageIndex* index)
    : pool_(is_incremental(precopy, index) ? PagePool(kIncrementalBlockBytes) : PagePool()) {
  bool incremental = is_incremental(precopy, index);
  // An incremental dump copies the pages that changed: few, usually; more come as needed.
  uint64_t anonymous = anonymous_bytes(pids);
  pool_.reserve((incremental ? anonymous / 64 : anonymous) + (4u << 20) * pids.size());
  if (!precopy) return;
  for (pid_t pid : pids)
    precopies_[pid] =
        std::make_unique<Precopy>(pid, incremental ? index->parent_pages_of_running(pid) : nullptr);
  for (auto& [pid, precopy] : precopies_) {
    throw_if_cancelled();
    precopy->copy(pool_);
    precopied_ += precopy->pages_copied();
  }
}

DeferredPages::~DeferredPages() = default;

const records::MmState* DeferredPages::earlier_mm(pid_t pid) const {
  auto it = precopies_.find(pid);
  return it == precopies_.end() ? nullptr : it->second->layout();
}

void DeferredPages::take(pid_t pid, const records::MmState& mm) {
  auto start = std::chrono::steady_clock::now();
  auto runs = saved_runs(pid, mm);
  spdlog::debug("process {}: pages listed in {:.1f} ms", pid, ms_since(start));
  auto it = precopies_.find(pid);
  if (it == precopies_.end()) {
    taken_[pid] = copy_pages(pid, runs, pool_, final_read_);
    return;
  }
  FinalPlan plan = it->second->finish(runs, pool_, final_read_);
  if (!changed_only_) {
    taken_[pid] = std::move(plan.extents);
    return;
  }
  if (!nothing_sent_) kept_[pid] = std::move(plan.kept);
  if (!post_copy_) {
    taken_[pid] = std::move(plan.to_read);
    return;
  }
  auto& taken = taken_[pid];
  auto& post_copied = post_copied_[pid];
  for (const auto& extent : nothing_sent_ ? plan.extents : plan.to_read)
    split_by_vma(extent, mm, [&](const PageCopy& piece, const records::Vma* vma) {
      (vma && vma->private_anonymous() && !piece.in_parent ? post_copied : taken).push_back(piece);
    });
}

const std::vector<PageCopy>& DeferredPages::post_copied(pid_t pid) const {
  static const std::vector<PageCopy> none;
  auto it = post_copied_.find(pid);
  return it == post_copied_.end() ? none : it->second;
}

PageCopy DeferredPages::post_copied_at(pid_t pid, uint64_t address, uint64_t pages) const {
  const auto& extents = post_copied(pid);
  auto after = std::upper_bound(extents.begin(), extents.end(), address,
                                [](uint64_t a, const PageCopy& e) { return a < e.address; });
  if (after == extents.begin()) return {};
  const PageCopy& e = *std::prev(after);
  if (e.address + e.pages * proc::kPageSize <= address) return {};
  uint64_t skip = (address - e.address) / proc::kPageSize;
  PageCopy piece = e;
  piece.address = address;
  piece.data = e.data + skip * proc::kPageSize;
  piece.pages = std::min(pages, e.pages - skip);
  return piece;
}

void DeferredPages::for_each_copied(
    const std::function<void(pid_t, const PageCopy&)>& consume) const {
  for (const auto& [pid, precopy] : precopies_)
    for (const auto& extent : precopy->copied()) consume(pid, extent);
}

uint64_t DeferredPages::recopy_written(
    const std::function<void(pid_t, const PageCopy&)>& consume) {
  uint64_t pages = 0;
  for (auto& [pid, precopy] : precopies_) {
    throw_if_cancelled();
    for (const auto& extent : precopy->recopy()) {
      consume(pid, extent);
      pages += extent.pages;
    }
  }
  return pages;
}

std::vector<records::PageRun> DeferredPages::kept(pid_t pid) const {
  std::vector<records::PageRun> runs;
  auto it = kept_.find(pid);
  if (it == kept_.end()) return runs;
  for (const auto& e : it->second) {
    if (!runs.empty() && runs.back().start + runs.back().pages * proc::kPageSize == e.address)
      runs.back().pages += e.pages;
    else
      runs.push_back({e.address, e.pages});
  }
  return runs;
}

std::vector<pid_t> DeferredPages::pids_taken() const {
  std::vector<pid_t> pids;
  for (const auto& [pid, extents] : taken_) pids.push_back(pid);
  return pids;
}

void DeferredPages::stop_tracking() {
  auto start = std::chrono::steady_clock::now();
  precopies_.clear();
  spdlog::debug("write tracking ended in {:.1f} ms", ms_since(start));
}

records::Pagemap DeferredPages::write_stream(pid_t pid, image::ImageWriter::Stream& out,
                                             const PageIndex* index) const {
  PageStreamWriter writer(out, index ? index->parent_pages(pid) : nullptr);
  for (const auto& extent : taken_.at(pid)) writer.keep_extent(extent);
  return writer.finish();
}

void DeferredPages::write(image::ImageWriter& image, PageIndex* index) {
  for (auto& [pid, extents] : taken_) {
    throw_if_cancelled();
    auto stream = image.open_stream(image::SectionType::kPages, pid);
    records::Pagemap pagemap = write_stream(pid, *stream, index);
    stream->close();
    if (index) index->add(pid, pagemap);
    image.put(image::SectionType::kPagemap, pid, pagemap);
  }
}

void DeferredPages::write_pagemaps(image::ImageWriter& image, PageIndex* index) {
  for (auto& [pid, extents] : taken_) {
    throw_if_cancelled();
    DiscardedStream discarded;
    records::Pagemap pagemap = write_stream(pid, discarded, index);
    if (index) index->add(pid, pagemap);
    image.put(image::SectionType::kPagemap, pid, pagemap);
  }
}

void DeferredPages::write_streams(image::ImageWriter& image, PageIndex* index) {
  for (auto& [pid, extents] : taken_) {
    throw_if_cancelled();
    auto stream = image.open_stream(image::SectionType::kPages, pid);
    write_stream(pid, *stream, index);
    stream->close();
  }
}

}  // namespace ckpt::dump
