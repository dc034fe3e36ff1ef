// The identity of an image's content (records::ImageIdentity): a uuid, and the checksum of its
// page index, i.e. of every process's pagemap (addresses and page hashes, whether the pages are
// stored in the image or in its parent). An incremental image names its parent by both.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "common/image/image.h"
#include "common/records/lineage.h"
#include "common/records/mm.h"

namespace ckpt::chain {

// A random uuid (version 4), as text.
std::string new_uuid();

// xxh3 of one pagemap's runs (start, pages; neighbours joined) and hashes: the same for an
// incremental image and its flattened copy.
uint64_t pagemap_digest(const records::Pagemap& pagemap);

// The checksum of a page index, built process by process in any order.
class IndexChecksum {
 public:
  void add(pid_t ns_pid, const records::Pagemap& pagemap) {
    digests_[ns_pid] = pagemap_digest(pagemap);
  }
  uint64_t value() const;

 private:
  std::map<pid_t, uint64_t> digests_;
};

// The checksum of `image`'s page index, computed from its pagemaps; with `pagemaps`, they are
// kept there by pid in the container.
uint64_t index_checksum(const image::ImageReader& image,
                        std::map<pid_t, records::Pagemap>* pagemaps = nullptr);

// The image's kLineage record; an image of format 1 has none: an empty uuid, no parent, and
// the checksum computed.
records::Lineage lineage_of(const image::ImageReader& image);

}  // namespace ckpt::chain
