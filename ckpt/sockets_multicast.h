// The multicast groups a socket joined. The kernel lists a network namespace's groups per
// interface (/proc/PID/net/igmp and igmp6) but not which socket joined them: each socket is
// asked, for each (group, interface), its source filter (MCAST_MSFILTER), which only a member
// has (others get EADDRNOTAVAIL).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/proc/igmp.h"
#include "common/records/socket_options.h"

namespace ckpt::dump {

// The groups joined in the network namespace of `pid`, IPv4 and IPv6 (read once per dump).
std::vector<proc::JoinedGroup> namespace_groups(pid_t pid);

// The memberships of `sock` (an IPv4/IPv6 datagram socket in the namespace `groups` were read
// from); errors name `who`.
std::vector<records::MulticastMembership> read_memberships(
    int sock, const std::vector<proc::JoinedGroup>& groups, const std::string& who);

}  // namespace ckpt::dump
