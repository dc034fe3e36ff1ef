// What a stream-ordered image (section kStreamOrder, id 0, written by `dump -o -`) says of its
// source: whether the dump removes the dumped container once the image is written (it does
// unless --leave-running). On one host a restore reading the stream runs while that source still
// exists, frozen: restore/restore.cc leaves a source that goes away out of the address clash
// check and waits for it to be gone before the container's host links come up. A stream of an
// older ckpt has an empty section, read as the default (the source stays).
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/version.hpp>

namespace ckpt::records {

struct StreamOrder {
  bool source_removed = false;  // the dump removes the dumped container after the image

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, source_removed);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::StreamOrder, 1)
