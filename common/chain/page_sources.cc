#include "common/chain/page_sources.h"

#include <atomic>

#include "common/cancel.h"
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

using Place = std::function<void(uint64_t, std::span<const std::byte>)>;
using PlacePieces = std::function<void(std::span<const Piece>)>;

Ranges ranges_of(const std::vector<records::PageRun>& runs) {
  Ranges ranges;
  for (const auto& run : runs) append(ranges, run.start, run.end());
  return ranges;
}

// The addresses `source` places.
Ranges placed_ranges(const PageSource& source) {
  return source.whole ? ranges_of(source.stored) : source.wanted;
}

// The addresses in both `a` and `b`.
Ranges intersection(const Ranges& a, const Ranges& b) {
  Ranges out;
  for (size_t i = 0, j = 0; i < a.size() && j < b.size();) {
    uint64_t from = std::max(a[i].first, b[j].first), to = std::min(a[i].second, b[j].second);
    if (from < to) append(out, from, to);
    a[i].second < b[j].second ? ++i : ++j;
  }
  return out;
}

// `a` and `b` (disjoint) together.
Ranges joined(Ranges a, const Ranges& b) {
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end());
  Ranges out;
  for (auto [start, end] : a) append(out, start, end);
  return out;
}

// Cuts `piece` at the edges of `ranges`: the parts inside them go to `inside`, the others to
// `outside`.
void cut(Piece piece, const Ranges& ranges, std::vector<Piece>& inside,
         std::vector<Piece>& outside) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), piece.address,
                             [](uint64_t a, const auto& range) { return a < range.second; });
  while (!piece.bytes.empty()) {
    bool in = it != ranges.end() && it->first <= piece.address;
    uint64_t limit = it == ranges.end() ? piece.end() : in ? it->second : it->first;
    uint64_t take = std::min(piece.end(), limit) - piece.address;
    (in ? inside : outside).push_back({piece.address, piece.bytes.first(take)});
    piece = {piece.address + take, piece.bytes.subspan(take)};
    if (in && piece.address == it->second) ++it;
  }
}

// The wanted parts of `chunk` (at `offset` in `source`'s stream, whose runs `index` holds),
// ascending.
std::vector<Piece> wanted_parts(const PageSource& source, const RunIndex& index, uint64_t offset,
                                std::span<const std::byte> chunk) {
  std::vector<Piece> parts;
  index.for_each_piece(offset, chunk, [&](uint64_t address, std::span<const std::byte> bytes) {
    source.for_each_wanted(address, bytes, [&](uint64_t at, std::span<const std::byte> part) {
      parts.push_back({at, part});
    });
  });
  return parts;
}

// Throws where `source`'s stream did not give every wanted page (`placed` bytes of them).
void check_placed(const PageSource& source, const RunIndex& index, uint64_t placed) {
  if (placed != (source.whole ? index.total() : bytes_of(source.wanted)))
    fail("page stream of process {} shorter than its pagemap", source.id);
}

// Reads `source`'s stream on the reader's decoding threads, several chunks at once, and calls
// `consume` with the wanted parts of each chunk, ascending. Returns their bytes; throws where the
// stream does not hold every page of its runs.
uint64_t read_wanted(const PageSource& source, const PlacePieces& consume) {
  RunIndex index(source.stored);
  std::atomic<uint64_t> placed = 0;
  source.image->read_stream_parallel(
      image::SectionType::kPages, source.id,
      [&](uint64_t offset, std::span<const std::byte> chunk) {
        auto parts = wanted_parts(source, index, offset, chunk);
        consume(parts);
        for (const auto& part : parts) placed += part.bytes.size();
      });
  check_placed(source, index, placed);
  return placed;
}

// The wanted pages of `sources`, read in one pass (image::read_streams_parallel: a newer link is
// only a few chunks, too few to keep the decoding threads busy on its own): those in `under`
// (placed already) go to `over`, the others to `place`. Returns the bytes given to `place`.
uint64_t read_split(std::span<const PageSource> sources, const Ranges& under, const Place& place,
                    const PlacePieces& over) {
  std::vector<image::StreamRef> streams;
  std::vector<RunIndex> indexes;
  for (const auto& source : sources) {
    streams.push_back({source.image, image::SectionType::kPages, source.id});
    indexes.emplace_back(source.stored);
  }
  std::vector<std::atomic<uint64_t>> placed(sources.size());
  std::atomic<uint64_t> apart = 0;
  image::read_streams_parallel(
      streams, [&](size_t i, uint64_t offset, std::span<const std::byte> chunk) {
        std::vector<Piece> inside, outside;
        for (const auto& part : wanted_parts(sources[i], indexes[i], offset, chunk)) {
          placed[i] += part.bytes.size();
          cut(part, under, inside, outside);
        }
        for (const auto& piece : outside) {
          place(piece.address, piece.bytes);
          apart += piece.bytes.size();
        }
        if (!inside.empty()) over(inside);
      });
  for (size_t i = 0; i < sources.size(); ++i) check_placed(sources[i], indexes[i], placed[i]);
  return apart;
}

}  // namespace

uint64_t read_pages(const PageSource& source, const Place& place) {
  return read_wanted(source, [&](std::span<const Piece> parts) {
    for (const auto& part : parts) place(part.address, part.bytes);
  });
}

uint64_t read_layered(std::span<const PageSource> sources, const Place& place,
                      const PlacePieces& over) {
  if (sources.size() < 2) fail("no newer page sources to lay over the oldest");
  PageSource oldest = sources.front();
  Ranges in_oldest = ranges_of(oldest.stored);
  Ranges newer_in_oldest;  // disjoint: each page comes from one link
  for (const auto& newer : sources.subspan(1)) {
    Ranges part = intersection(placed_ranges(newer), in_oldest);
    newer_in_oldest.insert(newer_in_oldest.end(), part.begin(), part.end());
  }
  newer_in_oldest = joined(std::move(newer_in_oldest), {});  // sorted once, not once a link
  oldest.wanted = joined(placed_ranges(oldest), newer_in_oldest);
  oldest.whole = false;
  uint64_t placed = read_pages(oldest, place);
  throw_if_cancelled();
  return placed + read_split(sources.subspan(1), in_oldest, place, over);
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
      sources.push_back({&chain.image(link), *parent_id, parent_map->stored_runs(), false,
                         std::move(stored)});
    needed = std::move(further);
  }
  // Each page comes from the one link that owns it (the newest that stores it), so that each is
  // written once: a page already there would make UFFDIO_COPY fail (EEXIST) and be written again
  // by a process_vm_writev of its own.
  std::reverse(sources.begin(), sources.end());
  return sources;
}

}  // namespace ckpt::chain
