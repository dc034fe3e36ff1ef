// The multicast groups a socket joined. The kernel lists a network namespace's groups per
// interface (/proc/PID/net/igmp and igmp6) but not which socket joined them: each socket is
// asked, for each (group, interface), its source filter (MCAST_MSFILTER), which only a member
// has (others get EADDRNOTAVAIL).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/records/socket_options.h"

namespace ckpt::dump {

// The memberships of `sock` (an IPv4/IPv6 datagram socket in the network namespace of `pid`);
// errors name `who`.
std::vector<records::MulticastMembership> read_memberships(int sock, pid_t pid,
                                                           const std::string& who);

}  // namespace ckpt::dump
