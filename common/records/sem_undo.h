// The SEM_UNDO adjustments of one process (what its exit would add to each semaphore).
// Section kSemUndo, id = host pid; only written for a process with some adjustment.
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <vector>

namespace ckpt::records {

struct SemAdjustments {
  int32_t sem_id = 0;                // the set, by its id (kept on restore)
  std::vector<int32_t> adjustments;  // one per semaphore of the set

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, sem_id, adjustments);
  }
};

struct SemUndo {
  uint32_t max_ops = 0;  // kernel.sem SEMOPM of the container: operations per semop call
  std::vector<SemAdjustments> sets;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, max_ops, sets);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::SemAdjustments, 1)
BOOST_CLASS_VERSION(ckpt::records::SemUndo, 1)
