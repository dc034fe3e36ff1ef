// A run of consecutive pages whose contents an image stores, back to back in a page stream.
// One record for every owner of pages: a process's memory (start is an address) and a SysV
// segment (start is a page index in the segment).
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/version.hpp>
#include <cstdint>

namespace ckpt::records {

struct PageRun {
  uint64_t start = 0;
  uint64_t pages = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, start, pages);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::PageRun, 1)
