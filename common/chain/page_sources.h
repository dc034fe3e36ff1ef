// Where the pages of a process are stored along a chain of incremental images: the newest
// image's page stream holds the runs it stores, each ancestor's stream the pages its children
// marked `in_parent` and it stores itself. Restore and flatten read each stream once and place
// only the parts wanted from it.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "common/chain/image_chain.h"
#include "common/image/image.h"
#include "common/records/mm.h"

namespace ckpt::chain {

// [start, end) address ranges, ascending, not overlapping.
using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;

struct PageSource {
  const image::ImageReader* image = nullptr;
  uint64_t id = 0;                       // of the kPages stream in `image`
  std::vector<records::PageRun> stored;  // that stream's runs, back to back
  bool whole = true;                     // every page of the stream is wanted
  Ranges wanted;                         // else these parts of `stored`

  // Calls `place(address, bytes)` for the wanted parts of [address, address + bytes.size()).
  template <typename Place>
  void for_each_wanted(uint64_t address, std::span<const std::byte> bytes, Place place) const;
};

// The sources of process `ns_pid`, whose pagemap in the newest image (section id `id`) is
// `pagemap`: the oldest ancestor needed first, the newest image's own stream last. Their wanted
// parts are disjoint: each page comes from the newest link that stores it. Throws, naming the
// image, when a page marked in a parent is not found there.
std::vector<PageSource> page_sources(const ImageChain& chain, pid_t ns_pid, uint64_t id,
                                     const records::Pagemap& pagemap);
// Reads `source`'s stream on the reader's decoding threads, several chunks at once, and calls
// `place(address, bytes)` (thread-safe) for each wanted part. Returns the bytes placed.
uint64_t read_pages(const PageSource& source,
                    const std::function<void(uint64_t, std::span<const std::byte>)>& place);

// Pages at `address`: a part of a decoded chunk.
struct Piece {
  uint64_t address = 0;
  std::span<const std::byte> bytes;
  uint64_t end() const { return address + bytes.size(); }
};

// The pages of all `sources` (page_sources' order, more than one) with the oldest's stream read
// as a full image's: its chunks are placed whole, the pages the newer links store at the same
// addresses included, so that each chunk goes in by one UFFDIO_COPY (placed around the newer
// pages, it took a piece, and a UFFDIO_COPY, per newer page). Then the newer links' streams are
// read, all in one pass on one pool: their pages go to `over` where the oldest's are placed already (to be written over;
// each chunk's pieces in one call, ascending), to `place` elsewhere. Both are called on the
// reader's decoding threads (thread-safe). Returns the bytes of memory filled, each page once.
uint64_t read_layered(std::span<const PageSource> sources,
                      const std::function<void(uint64_t, std::span<const std::byte>)>& place,
                      const std::function<void(std::span<const Piece>)>& over);

// The bytes of memory `pagemap` describes (its pages in the image and in its parents).
uint64_t pages_bytes(const records::Pagemap& pagemap);

// A process of a single image: its own stream, whole.
PageSource own_pages(const image::ImageReader& image, uint64_t id,
                     const records::Pagemap& pagemap);

template <typename Place>
void PageSource::for_each_wanted(uint64_t address, std::span<const std::byte> bytes,
                                 Place place) const {
  if (whole) {
    place(address, bytes);
    return;
  }
  uint64_t end = address + bytes.size();
  auto it = std::upper_bound(wanted.begin(), wanted.end(), address,
                             [](uint64_t a, const auto& range) { return a < range.second; });
  for (; it != wanted.end() && it->first < end; ++it) {
    uint64_t from = std::max(address, it->first), to = std::min(end, it->second);
    place(from, bytes.subspan(from - address, to - from));
  }
}

}  // namespace ckpt::chain
