// A NUMA memory policy (set_mempolicy(2) of a thread, mbind(2) of a mapping) as
// get_mempolicy(2) gives it back: the mode with its flags (MPOL_F_STATIC_NODES, ...) and the
// nodes as the user gave them, 64 a word.
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <vector>

namespace ckpt::records {

struct MemPolicy {
  int32_t mode = 0;  // MPOL_DEFAULT: none of its own
  std::vector<uint64_t> nodes;

  bool operator==(const MemPolicy&) const = default;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, mode, nodes);
  }
};

// A mapping's policy (mbind); start and end are the VMA's.
struct VmaPolicy {
  uint64_t start = 0, end = 0;
  MemPolicy policy;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, start, end, policy);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::MemPolicy, 1)
BOOST_CLASS_VERSION(ckpt::records::VmaPolicy, 1)
