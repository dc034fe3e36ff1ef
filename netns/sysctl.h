// The per-namespace network sysctls kept in a record: net.ipv4.ip_forward, net.ipv4.conf.*.*,
// net.ipv6.conf.*.*, read and written under /proc/sys/net, which shows the netns of the calling
// thread (run these inside in_netns()).
#pragma once

#include <vector>

#include "common/records/net.h"

namespace ckpt::netns {

// Every writable, readable sysctl of those families.
std::vector<records::NetSysctl> read_net_sysctls();
// Writes those whose current value differs; a value the kernel refuses is logged, not fatal.
void write_net_sysctls(const std::vector<records::NetSysctl>& sysctls);

}  // namespace ckpt::netns
