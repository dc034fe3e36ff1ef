#include "restore/kind_openers.h"

#include "common/error.h"

namespace ckpt::restore {

void KindOpeners::add(std::initializer_list<records::FileKind> kinds, const OpenDescription& open) {
  for (records::FileKind kind : kinds) {
    if (!by_kind_.emplace(kind, open).second)
      fail("restore files: two openers for file kind {}", static_cast<uint32_t>(kind));
  }
}

const OpenDescription* KindOpeners::find(records::FileKind kind) const {
  auto it = by_kind_.find(kind);
  return it == by_kind_.end() ? nullptr : &it->second;
}

}  // namespace ckpt::restore
