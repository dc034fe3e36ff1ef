// Openers of the file kinds whose descriptions need state of their own (ptys, memfds, sockets,
// TCP connections): the restore of each such resource adds one opener for its kinds, and
// open_files() hands each description of those kinds to it. Every other kind is opened by its
// row of the table in restore/fd_kinds.cc.
#pragma once

#include <functional>
#include <initializer_list>
#include <map>

#include "common/records/files.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

using OpenDescription = std::function<UniqueFd(const records::FileDescription&)>;

class KindOpeners {
 public:
  // `open` opens every description of each of `kinds`; a kind has one opener at most.
  void add(std::initializer_list<records::FileKind> kinds, const OpenDescription& open);
  // `open` opens description `id` only, whatever its kind (before the opener of its kind).
  void add_description(uint64_t id, const OpenDescription& open);
  // The opener of description `d`; nullptr when none was added for it or its kind.
  const OpenDescription* find(const records::FileDescription& d) const;

 private:
  std::map<records::FileKind, OpenDescription> by_kind_;
  std::map<uint64_t, OpenDescription> by_id_;
};

}  // namespace ckpt::restore
