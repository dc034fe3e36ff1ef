// What libnl-3.7 does not model for us, spoken as raw rtnetlink through its message helpers:
// the IFLA_INFO_DATA of bridges and tun/tap devices, and creating a bridge with its options.
#pragma once

#include <netlink/netlink.h>

#include <cstdint>
#include <map>
#include <string>

#include "common/records/net.h"

namespace ckpt::netns {

struct LinkInfoData {
  std::string kind;
  std::map<uint16_t, std::string> data;  // IFLA_INFO_DATA attribute type -> payload

  uint32_t u32(uint16_t type, uint32_t fallback) const;
  uint16_t u16(uint16_t type, uint16_t fallback) const;
  uint8_t u8(uint16_t type, uint8_t fallback) const;
};

// IFLA_LINKINFO of every link of the socket's netns, by ifindex.
std::map<int, LinkInfoData> dump_link_info_data(nl_sock* sock);

records::BridgeInfo bridge_info(const LinkInfoData& info);
records::TunInfo tun_info(const LinkInfoData& info);

// Creates bridge `link.name` with its MAC, MTU and BridgeInfo in the socket's netns.
void create_bridge(nl_sock* sock, const records::NetLink& link);

}  // namespace ckpt::netns
