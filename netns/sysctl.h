// The per-namespace network sysctls kept in a record: net.ipv4.ip_forward, net.ipv4.conf.*.*,
// net.ipv6.conf.*.*, read and written under /proc/sys/net, which shows the netns of the calling
// thread (run these inside in_netns()).
#pragma once

#include <vector>

#include "common/records/net.h"

namespace ckpt::netns {

// Every writable, readable sysctl of those families.
std::vector<records::NetSysctl> read_net_sysctls();
// Whether `name` (relative to /proc/sys/net) is one of those families: "ipv4/ip_forward",
// "ipv4/conf/LINK/NAME", "ipv6/conf/LINK/NAME", each part a plain name (no "..").
bool is_net_sysctl_name(const std::string& name);
// Refuses, naming it, the first sysctl of an image that is not such a name.
void check_net_sysctl_names(const std::vector<records::NetSysctl>& sysctls);
// Writes those whose current value differs (each opened below /proc/sys/net, following no
// symlink); a value the kernel refuses is logged, not fatal; a name not of those families fails.
void write_net_sysctls(const std::vector<records::NetSysctl>& sysctls);

}  // namespace ckpt::netns
