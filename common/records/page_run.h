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
  // Version 2, process memory only: the pages are not in this image's stream but equal to the
  // parent image's pages at the same addresses (an incremental image, see records/lineage.h).
  bool in_parent = false;

  // The address after the run (process memory: start is an address).
  uint64_t end() const { return start + pages * 4096; }

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, start, pages);
    if (version >= 2) fields(ar, in_parent);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::PageRun, 2)
