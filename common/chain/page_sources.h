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
#include "common/image/buffer.h"
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
  const image::Buffer* kept = nullptr;   // the stream decoded in memory, if the chain kept it

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
// Reads `source`'s stream on the reader's decoding threads, several chunks at once (from memory
// when it is kept), and calls `place(address, bytes)` (thread-safe) for each wanted part. Returns
// the bytes placed.
uint64_t read_pages(const PageSource& source,
                    const std::function<void(uint64_t, std::span<const std::byte>)>& place);

// Whether read_overlaid() takes `sources` (page_sources' order): more than one, the oldest read
// from its image, every newer one kept in memory (ImageChain::verify_keeping_pages).
bool overlay_applies(std::span<const PageSource> sources);
// The pages of all `sources` with the oldest's stream read as a full image's: the kept pages of
// the newer ones are copied into its chunks where it stores the same addresses, so that each
// chunk is placed in one piece, not in the pieces between the newer pages (each of those, and
// each newer page, a UFFDIO_COPY of its own); the kept pages it does not store are placed
// apart. Calls `place` (thread-safe) for disjoint pieces, every page once; returns the bytes
// placed.
uint64_t read_overlaid(std::span<const PageSource> sources,
                       const std::function<void(uint64_t, std::span<const std::byte>)>& place);

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
