#include "common/chain/summary.h"

#include "common/chain/identity.h"
#include "common/chain/page_hash.h"
#include "common/chain/page_sources.h"
#include "common/records/mm.h"

namespace ckpt::chain {

LinkSummary summarize(const image::ImageReader& image, const std::string& path) {
  LinkSummary s;
  s.path = path;
  auto lineage = lineage_of(image);
  s.uuid = lineage.self.uuid;
  if (lineage.parent) s.parent = lineage.parent->name;
  s.created_unix = image.header().created_unix;
  s.file_size = image.file_size();
  for (uint64_t id : image.ids(image::SectionType::kPagemap)) {
    auto pagemap = image.get<records::Pagemap>(image::SectionType::kPagemap, id);
    s.memory_bytes += pages_bytes(pagemap);
    for (const auto& run : pagemap.stored_runs()) s.stored_bytes += run.pages * kPageBytes;
  }
  return s;
}

void to_json(nlohmann::json& j, const LinkSummary& s) {
  j = {{"path", s.path},
       {"uuid", s.uuid},
       {"parent", s.parent.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.parent)},
       {"created_unix", s.created_unix},
       {"file_size", s.file_size},
       {"memory_bytes", s.memory_bytes},
       {"stored_bytes", s.stored_bytes}};
}

}  // namespace ckpt::chain
