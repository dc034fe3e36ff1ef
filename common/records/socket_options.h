// Options set on an IPv4/IPv6 socket (listening or closed TCP, UDP): every int option of a fixed
// list as getsockopt() gave it, SO_LINGER and TCP_CONGESTION. Restore sets each that differs
// from what a fresh socket has (so defaults stay tied to the namespace's sysctls, buffers not
// locked against autotuning unless they were).
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::records {

struct IntSocketOption {
  int32_t level = 0, name = 0, value = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, level, name, value);
  }
};

struct SocketOptions {
  std::vector<IntSocketOption> ints;
  bool linger = false;  // SO_LINGER l_onoff
  int32_t linger_seconds = 0;
  std::string congestion;  // TCP_CONGESTION; empty for UDP

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, ints, linger, linger_seconds, congestion);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::IntSocketOption, 1)
BOOST_CLASS_VERSION(ckpt::records::SocketOptions, 1)
