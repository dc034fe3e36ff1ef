#include "common/chain/page_sources.h"

#include <atomic>

#include "common/chain/page_hash.h"
#include "common/error.h"

namespace ckpt::chain {
namespace {

void append(Ranges& ranges, uint64_t start, uint64_t end) {
  if (!ranges.empty() && ranges.back().second == start)
    ranges.back().second = end;
  else
    ranges.emplace_back(start, end);
}

uint64_t bytes_of(const Ranges& ranges) {
  uint64_t total = 0;
  for (auto [start, end] : ranges) total += end - start;
  return total;
}

Ranges in_parent_ranges(const records::Pagemap& pagemap) {
  Ranges ranges;
  for (const auto& run : pagemap.runs)
    if (run.in_parent) append(ranges, run.start, run.end());
  return ranges;
}

// Splits `needed` over the runs of `pagemap`: parts it stores go to `stored`, parts it has from
// its own parent to `further`. A needed page it does not have at all is an error.
void split(const Ranges& needed, const records::Pagemap& pagemap, const std::string& path,
           pid_t ns_pid, Ranges& stored, Ranges& further) {
  const auto& runs = pagemap.runs;
  size_t j = 0;
  for (auto [at, end] : needed) {
    while (at < end) {
      while (j < runs.size() && runs[j].end() <= at) ++j;
      if (j == runs.size() || runs[j].start > at)
        fail("{}: process {} has no page at {:#x}, which its child image takes from it", path,
             ns_pid, at);
      uint64_t until = std::min(end, runs[j].end());
      append(runs[j].in_parent ? further : stored, at, until);
      at = until;
    }
  }
}

// Where each byte of a page stream goes: its runs back to back.
class RunIndex {
 public:
  explicit RunIndex(const std::vector<records::PageRun>& runs) : runs_(runs) {
    for (const auto& run : runs_) {
      offsets_.push_back(total_);
      total_ += run.pages * kPageBytes;
    }
  }
  uint64_t total() const { return total_; }

  // Calls place(address, bytes) for each part of `chunk` (at `offset` in the stream) in a run.
  template <typename Place>
  void for_each_piece(uint64_t offset, std::span<const std::byte> chunk, Place place) const {
    if (offset + chunk.size() > total_) fail("page stream longer than its pagemap");
    size_t i = std::upper_bound(offsets_.begin(), offsets_.end(), offset) - offsets_.begin() - 1;
    while (!chunk.empty()) {
      uint64_t into_run = offset - offsets_[i];
      uint64_t take = std::min<uint64_t>(chunk.size(), runs_[i].pages * kPageBytes - into_run);
      place(runs_[i].start + into_run, chunk.first(take));
      chunk = chunk.subspan(take);
      offset += take;
      ++i;
    }
  }

 private:
  const std::vector<records::PageRun>& runs_;
  std::vector<uint64_t> offsets_;  // of each run in the stream
  uint64_t total_ = 0;
};

}  // namespace

uint64_t read_pages(const PageSource& source,
                    const std::function<void(uint64_t, std::span<const std::byte>)>& place) {
  RunIndex index(source.stored);
  std::atomic<uint64_t> placed = 0;
  source.image->read_stream_parallel(
      image::SectionType::kPages, source.id, [&](uint64_t offset, std::span<const std::byte> chunk) {
        index.for_each_piece(offset, chunk, [&](uint64_t address, std::span<const std::byte> bytes) {
          source.for_each_wanted(address, bytes, [&](uint64_t at, std::span<const std::byte> part) {
            place(at, part);
            placed += part.size();
          });
        });
      });
  if (placed != (source.whole ? index.total() : bytes_of(source.wanted)))
    fail("page stream of process {} shorter than its pagemap", source.id);
  return placed;
}

uint64_t pages_bytes(const records::Pagemap& pagemap) {
  uint64_t total = 0;
  for (const auto& run : pagemap.runs) total += run.pages * kPageBytes;
  return total;
}

PageSource own_pages(const image::ImageReader& image, uint64_t id,
                     const records::Pagemap& pagemap) {
  return {&image, id, pagemap.stored_runs(), true, {}};
}

std::vector<PageSource> page_sources(const ImageChain& chain, pid_t ns_pid, uint64_t id,
                                     const records::Pagemap& pagemap) {
  std::vector<PageSource> sources{own_pages(chain.image(0), id, pagemap)};
  Ranges needed = in_parent_ranges(pagemap);
  for (size_t link = 1; !needed.empty(); ++link) {
    if (link == chain.size())
      fail("{}: process {} has pages in a parent image, but the image has none", chain.path(0),
           ns_pid);
    auto parent_id = chain.process_id(link, ns_pid);
    const records::Pagemap* parent_map = chain.parent_pagemap(link, ns_pid);
    if (!parent_id || !parent_map)
      fail("{}: process {} is not in parent image {}", chain.path(0), ns_pid, chain.path(link));
    Ranges stored, further;
    split(needed, *parent_map, chain.path(link), ns_pid, stored, further);
    if (!stored.empty())
      sources.push_back(
          {&chain.image(link), *parent_id, parent_map->stored_runs(), false, std::move(stored)});
    needed = std::move(further);
  }
  // Each page comes from the one link that owns it (the newest that stores it), so that each is
  // written once: a page already there would make UFFDIO_COPY fail (EEXIST) and be written again
  // by a process_vm_writev of its own.
  std::reverse(sources.begin(), sources.end());
  return sources;
}

}  // namespace ckpt::chain
