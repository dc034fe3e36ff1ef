// The network namespace of a container: links, addresses, routes, rules, permanent neighbours and
// per-namespace sysctls, as netns/ dumps them and rebuilds them. Addresses are kept as text
// ("10.0.0.2", "fe80::1", "aa:bb:cc:dd:ee:ff") so the record is readable in `inspect --json` and
// independent of libnl. Links refer to each other by name, never by ifindex.
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ckpt::records {

// The host side of a veth whose other end is in the container.
struct VethPeer {
  std::string name;    // on the host (or in the namespace when both ends are inside)
  std::string master;  // bridge on the host it is enslaved to; "" if none
  uint32_t mtu = 0;
  std::string mac;
  bool up = false;
  bool inside = false;  // both ends are in the container's namespace

  bool operator==(const VethPeer&) const = default;
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, name, master, mtu, mac, up, inside);
  }
};

struct BridgeInfo {
  uint32_t stp_state = 0;
  uint32_t ageing_time = 30000;  // centiseconds, as IFLA_BR_AGEING_TIME
  uint32_t forward_delay = 1500;
  uint16_t priority = 0x8000;

  bool operator==(const BridgeInfo&) const = default;
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, stp_state, ageing_time, forward_delay, priority);
  }
};

struct VxlanInfo {
  uint32_t vni = 0;
  std::string remote;  // unicast peer, or
  std::string group;   // multicast group; "" if neither
  std::string local;
  uint16_t port = 0;  // UDP destination port
  uint8_t ttl = 0;
  std::string parent;  // host link (IFLA_VXLAN_LINK), "" if none

  bool operator==(const VxlanInfo&) const = default;
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, vni, remote, group, local, port, ttl, parent);
  }
};

struct TunInfo {
  bool tap = true;     // IFF_TAP, else IFF_TUN
  uint32_t flags = 0;  // IFF_NO_PI, IFF_VNET_HDR, IFF_MULTI_QUEUE
  int64_t owner = -1;  // uid, -1 if none
  int64_t group = -1;  // gid, -1 if none

  bool operator==(const TunInfo&) const = default;
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, tap, flags, owner, group);
  }
};

// One link of the namespace. `kind` is "loopback", "veth", "bridge", "macvlan", "vxlan", "tun".
struct NetLink {
  std::string name;
  std::string kind;
  int32_t ifindex = 0;  // at dump time, informative only
  uint32_t mtu = 0;
  std::string mac;
  bool up = false;
  std::string master;  // bridge in the namespace this link is a port of; "" if none

  VethPeer veth;
  BridgeInfo bridge;
  uint32_t macvlan_mode = 0;   // MACVLAN_MODE_*
  std::string macvlan_parent;  // link on the host
  VxlanInfo vxlan;
  TunInfo tun;

  bool operator==(const NetLink&) const = default;
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, name, kind, ifindex, mtu, mac, up, master, veth, bridge, macvlan_mode,
           macvlan_parent, vxlan, tun);
  }
};

struct NetAddress {
  std::string link;
  int family = 0;  // AF_INET, AF_INET6
  std::string local;
  std::string peer;  // point-to-point peer, "" if none
  uint8_t prefix = 0;
  uint8_t scope = 0;
  uint32_t flags = 0;           // IFA_F_*
  uint32_t valid_lifetime = 0;  // seconds; 0xffffffff forever
  uint32_t preferred_lifetime = 0;
  std::string label;

  bool operator==(const NetAddress&) const = default;
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, link, family, local, peer, prefix, scope, flags, valid_lifetime, preferred_lifetime,
           label);
  }
};

struct NetRoute {
  int family = 0;
  uint32_t table = 254;
  std::string dst;  // "" for default
  uint8_t dst_len = 0;
  std::string gateway;
  std::string link;  // output link, "" if none
  std::string prefsrc;
  uint32_t priority = 0;  // metric
  uint8_t scope = 0;
  uint8_t protocol = 0;
  uint8_t type = 1;    // RTN_UNICAST
  uint32_t flags = 0;  // RTNH_F_ONLINK etc.

  bool operator==(const NetRoute&) const = default;
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, family, table, dst, dst_len, gateway, link, prefsrc, priority, scope, protocol, type,
           flags);
  }
};

struct NetRule {
  int family = 0;
  uint32_t priority = 0;
  uint32_t table = 0;
  uint8_t action = 1;  // FR_ACT_TO_TBL
  std::string src;
  uint8_t src_len = 0;
  std::string dst;
  uint8_t dst_len = 0;
  std::string iif;
  std::string oif;
  uint32_t fwmark = 0;
  uint32_t fwmask = 0;
  uint8_t protocol = 0;  // FRA_PROTOCOL

  bool operator==(const NetRule&) const = default;
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, family, priority, table, action, src, src_len, dst, dst_len, iif, oif, fwmark,
           fwmask, protocol);
  }
};

struct NetNeighbour {
  std::string link;
  int family = 0;
  std::string dst;
  std::string lladdr;
  uint16_t state = 0x80;  // NUD_PERMANENT

  bool operator==(const NetNeighbour&) const = default;
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, link, family, dst, lladdr, state);
  }
};

// A sysctl under /proc/sys/net, path relative to it ("ipv4/ip_forward", "ipv6/conf/eth0/mtu").
struct NetSysctl {
  std::string path;
  std::string value;

  bool operator==(const NetSysctl&) const = default;
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, path, value);
  }
};

struct NetNamespace {
  std::vector<NetLink> links;  // in ifindex order
  std::vector<NetAddress> addresses;
  std::vector<NetRoute> routes;
  std::vector<NetRule> rules;
  std::vector<NetNeighbour> neighbours;  // permanent ones
  std::vector<NetSysctl> sysctls;
  // Version 2: the entries the namespace had learned (ARP, NDP: reachable, stale, delay or
  // probe), made again as stale, so that a restored connection's first packet goes out at once
  // (the kernel confirms the address then) instead of waiting for a neighbour resolution whose
  // first request a held-down link lost (a second one comes a second later). Not compared with a
  // migration's prebuilt namespace: added to it in the downtime.
  std::vector<NetNeighbour> learned_neighbours;

  bool operator==(const NetNamespace&) const = default;
  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, links, addresses, routes, rules, neighbours, sysctls);
    if (version >= 2) fields(ar, learned_neighbours);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::VethPeer, 1)
BOOST_CLASS_VERSION(ckpt::records::BridgeInfo, 1)
BOOST_CLASS_VERSION(ckpt::records::VxlanInfo, 1)
BOOST_CLASS_VERSION(ckpt::records::TunInfo, 1)
BOOST_CLASS_VERSION(ckpt::records::NetLink, 1)
BOOST_CLASS_VERSION(ckpt::records::NetAddress, 1)
BOOST_CLASS_VERSION(ckpt::records::NetRoute, 1)
BOOST_CLASS_VERSION(ckpt::records::NetRule, 1)
BOOST_CLASS_VERSION(ckpt::records::NetNeighbour, 1)
BOOST_CLASS_VERSION(ckpt::records::NetSysctl, 1)
BOOST_CLASS_VERSION(ckpt::records::NetNamespace, 2)
