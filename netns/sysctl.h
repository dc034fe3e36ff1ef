// The per-namespace network sysctls kept in a record: every file under /proc/sys/net that the
// namespace lets root read and write (net.ipv4.*, net.ipv6.*, net.core.somaxconn, net.unix.*,
// per-link conf and neigh), read and written under /proc/sys/net, which shows the netns of the
// calling thread (run these inside in_netns()). They are read by common/proc/net_sysctls.
#pragma once

#include <vector>

#include "common/records/net.h"

namespace ckpt::netns {

// Whether `name` (relative to /proc/sys/net) is a path of plain names (no "..", no "/" at
// either end, nothing empty).
bool is_net_sysctl_name(const std::string& name);
// Refuses, naming it, the first sysctl of an image that is not such a name.
void check_net_sysctl_names(const std::vector<records::NetSysctl>& sysctls);
// Writes those whose current value differs (each opened below /proc/sys/net, following no
// symlink), in passes while the kernel takes more of them (some values are checked against
// others); a value it still refuses is logged, not fatal; a name not of that form fails.
void write_net_sysctls(const std::vector<records::NetSysctl>& sysctls);

}  // namespace ckpt::netns
