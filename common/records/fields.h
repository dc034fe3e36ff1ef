// serialize() bodies of records: `fields(ar, a, b, c)` reads or writes each member in order.
#pragma once

#include "common/records/std_optional.h"

namespace ckpt::records {

template <class Archive, class... Fields>
void fields(Archive& ar, Fields&... f) {
  ((ar & f), ...);
}

}  // namespace ckpt::records
