// Where an image stands among incremental images (section kLineage, id 0): its own identity and,
// for an incremental image, the parent it was made against. Every image of format 2 has one, so
// any of them can serve as a parent.
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/string.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace ckpt::records {

// The identity of an image's content: a random uuid given at dump time, and the checksum of its
// page index (every process's pagemap: addresses and page hashes; see chain/content_index.h).
// Flattening an image keeps both, since the content stays the same.
struct ImageIdentity {
  std::string uuid;
  uint64_t index_checksum = 0;

  bool operator==(const ImageIdentity&) const = default;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, uuid, index_checksum);
  }
};

struct ParentRef {
  ImageIdentity identity;
  std::string name;           // the parent's file name relative to this image's directory
  int64_t created_unix = 0;   // the parent's header time, for messages

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, identity, name, created_unix);
  }
};

struct Lineage {
  ImageIdentity self;
  std::optional<ParentRef> parent;  // none: a full image

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, self, parent);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::ImageIdentity, 1)
BOOST_CLASS_VERSION(ckpt::records::ParentRef, 1)
BOOST_CLASS_VERSION(ckpt::records::Lineage, 1)
