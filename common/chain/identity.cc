#include "common/chain/identity.h"

#include <xxhash.h>

#include <fstream>

#include "common/error.h"
#include "common/records/tree.h"

namespace ckpt::chain {

std::string new_uuid() {
  std::ifstream in("/proc/sys/kernel/random/uuid");
  std::string uuid;
  if (!std::getline(in, uuid) || uuid.size() != 36) fail("no uuid from the kernel");
  return uuid;
}

uint64_t pagemap_digest(const records::Pagemap& pagemap) {
  XXH3_state_t* state = XXH3_createState();
  if (!state) fail("out of memory");
  XXH3_64bits_reset(state);
  // Runs joined where they touch: how an image splits its runs (stored here or in the parent,
  // flattened) does not change what memory it holds.
  std::vector<uint64_t> joined;
  for (const auto& run : pagemap.runs) {
    if (!joined.empty() && joined[joined.size() - 2] + joined.back() * 4096 == run.start)
      joined.back() += run.pages;
    else
      joined.insert(joined.end(), {run.start, run.pages});
  }
  XXH3_64bits_update(state, joined.data(), joined.size() * sizeof(uint64_t));
  XXH3_64bits_update(state, pagemap.hashes.data(), pagemap.hashes.size() * sizeof(uint64_t));
  uint64_t digest = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return digest;
}

uint64_t IndexChecksum::value() const {
  std::vector<uint64_t> flat;
  for (const auto& [pid, digest] : digests_) {
    flat.push_back(static_cast<uint64_t>(pid));
    flat.push_back(digest);
  }
  return XXH3_64bits(flat.data(), flat.size() * sizeof(uint64_t));
}

uint64_t index_checksum(const image::ImageReader& image,
                        std::map<pid_t, records::Pagemap>* pagemaps) {
  using image::SectionType;
  IndexChecksum sum;
  auto tree = image.get<records::ProcessTree>(SectionType::kProcessTree, 0);
  for (const auto& process : tree.processes) {
    auto id = static_cast<uint64_t>(process.host_pid);
    if (!image.has(SectionType::kPagemap, id)) continue;
    auto pagemap = image.get<records::Pagemap>(SectionType::kPagemap, id);
    sum.add(process.pid, pagemap);
    if (pagemaps) (*pagemaps)[process.pid] = std::move(pagemap);
  }
  return sum.value();
}

records::Lineage lineage_of(const image::ImageReader& image) {
  if (image.has(image::SectionType::kLineage, 0))
    return image.get<records::Lineage>(image::SectionType::kLineage, 0);
  records::Lineage lineage;
  lineage.self.index_checksum = index_checksum(image);
  return lineage;
}

}  // namespace ckpt::chain
