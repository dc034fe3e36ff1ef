// The multicast groups of a network namespace, per interface, as /proc/net/igmp (IPv4) and
// /proc/net/igmp6 (IPv6) list them. Which socket joined a group they do not say.
#pragma once

#include <string>
#include <vector>

namespace ckpt::proc {

struct JoinedGroup {
  int family = 0;      // AF_INET or AF_INET6
  std::string group;   // in_addr or in6_addr bytes
  int ifindex = 0;
  std::string device;  // interface name
  int users = 0;       // memberships (sockets, and the kernel's own) on that interface
};

// /proc/net/igmp: a line "IDX\tNAME : COUNT QUERIER" per interface, then "\t\t\t\tGROUP USERS
// TIMER REPORTER" per group, GROUP the in_addr as a hexadecimal u32 in host order.
std::vector<JoinedGroup> parse_igmp(const std::string& text);

// /proc/net/igmp6: "IDX NAME GROUP USERS FLAGS TIMER", GROUP as 32 hexadecimal digits.
std::vector<JoinedGroup> parse_igmp6(const std::string& text);

}  // namespace ckpt::proc
