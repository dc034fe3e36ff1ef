#include "restore/files_kind_openers.h"

#include "common/error.h"

namespace ckpt::restore {

void KindOpeners::add(std::initializer_list<records::FileKind> kinds, const OpenDescription& open) {
  for (records::FileKind kind : kinds) {
    if (!by_kind_.emplace(kind, open).second)
      fail("restore files: two openers for file kind {}", static_cast<uint32_t>(kind));
  }
}

void KindOpeners::add_description(uint64_t id, const OpenDescription& open) {
  if (!by_id_.emplace(id, open).second) fail("restore files: two openers for description {}", id);
}

const OpenDescription* KindOpeners::find(const records::FileDescription& d) const {
  if (auto it = by_id_.find(d.id); it != by_id_.end()) return &it->second;
  auto it = by_kind_.find(d.kind);
  return it == by_kind_.end() ? nullptr : &it->second;
}

}  // namespace ckpt::restore
