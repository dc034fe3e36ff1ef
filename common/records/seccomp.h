// A process's seccomp state: its mode and, in filter mode, its chain of filters.
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::records {

// One filter as PTRACE_SECCOMP_GET_FILTER gives it back.
struct SeccompFilter {
  std::string program;  // struct sock_filter[] (classic BPF)
  uint64_t flags = 0;   // SECCOMP_FILTER_FLAG_LOG (PTRACE_GET_SECCOMP_METADATA)

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, program, flags);
  }
};

// The same in every thread of the process (a dump of threads that differ is refused).
struct Seccomp {
  uint32_t mode = 0;                   // SECCOMP_MODE_DISABLED, _STRICT or _FILTER
  std::vector<SeccompFilter> filters;  // the first installed first

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, mode, filters);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::SeccompFilter, 1)
BOOST_CLASS_VERSION(ckpt::records::Seccomp, 1)
