// Options set on a socket (IPv4/IPv6 TCP listening or closed, UDP; the socket-level ones of a
// unix socket): every int option of a fixed list as getsockopt() gave it, SO_LINGER,
// TCP_CONGESTION, and (version 2) the receive/send timeouts, SO_BINDTODEVICE, a classic BPF
// filter, the multicast groups the socket joined and the options whose values are bytes. Restore sets each that differs from what a
// fresh socket has (so defaults stay tied to the namespace's sysctls, buffers not locked against
// autotuning unless they were). Interfaces are kept by name: links are rebuilt by name, with
// other ifindexes.
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
  // Version 2: the name of the interface an ifindex-valued option (IP_UNICAST_IF,
  // IPV6_MULTICAST_IF, IPV6_UNICAST_IF) names; the restore sets that interface's index.
  std::string interface;

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, level, name, value);
    if (version >= 2) fields(ar, interface);
  }
};

// An option whose value is a structure or bytes (IP_OPTIONS, SO_TXTIME, IPv6 extension headers),
// as getsockopt() gave it.
struct BytesSocketOption {
  int32_t level = 0, name = 0;
  std::string value;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, level, name, value);
  }
};

// One instruction of a classic BPF program (struct sock_filter).
struct SocketFilterInstruction {
  uint16_t code = 0;
  uint8_t jt = 0, jf = 0;
  uint32_t k = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, code, jt, jf, k);
  }
};

// A multicast group the socket joined on one interface, with its source filter (MCAST_MSFILTER:
// a plain join is MCAST_EXCLUDE with no sources).
struct MulticastMembership {
  int32_t family = 0;     // of the group: AF_INET or AF_INET6
  std::string group;      // in_addr or in6_addr bytes
  std::string interface;  // name of the interface it was joined on
  uint32_t filter_mode = 0;           // MCAST_INCLUDE or MCAST_EXCLUDE
  std::vector<std::string> sources;  // addresses of the group's family, bytes

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, family, group, interface, filter_mode, sources);
  }
};

struct SocketOptions {
  std::vector<IntSocketOption> ints;
  bool linger = false;  // SO_LINGER l_onoff
  int32_t linger_seconds = 0;
  std::string congestion;  // TCP_CONGESTION; empty for UDP
  // Version 2.
  int64_t receive_timeout_us = 0, send_timeout_us = 0;  // SO_RCVTIMEO, SO_SNDTIMEO; 0: none
  std::string bound_device;                             // SO_BINDTODEVICE; empty: none
  std::vector<SocketFilterInstruction> filter;          // SO_ATTACH_FILTER; empty: none
  std::vector<MulticastMembership> memberships;
  std::vector<BytesSocketOption> bytes;

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, ints, linger, linger_seconds, congestion);
    if (version >= 2)
      fields(ar, receive_timeout_us, send_timeout_us, bound_device, filter, memberships, bytes);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::IntSocketOption, 2)
BOOST_CLASS_VERSION(ckpt::records::BytesSocketOption, 1)
BOOST_CLASS_VERSION(ckpt::records::SocketFilterInstruction, 1)
BOOST_CLASS_VERSION(ckpt::records::MulticastMembership, 1)
BOOST_CLASS_VERSION(ckpt::records::SocketOptions, 2)
