// `ckpt run --net` specs and the network record they describe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/records/net.h"

namespace ckpt::netns {

// One `--net bridge=BR[,ip=CIDR][,gw=IP][,mac=MAC][,mtu=N][,name=IF]`.
struct NetSpec {
  std::string bridge;
  std::string ip;  // CIDR, "" for none
  uint8_t prefix = 0;
  std::string address;  // ip without the prefix
  int family = 0;
  std::string gateway;
  std::string mac;
  uint32_t mtu = 0;
  std::string name;  // container-side name; "" for eth<index>
};

// Throws Error("--net <spec>: ...") naming what is wrong.
NetSpec parse_net_spec(const std::string& spec);

// The namespace the specs ask for: lo up, one veth per spec with its address and default route.
// `none` alone (or nothing) gives only lo.
records::NetNamespace network_from_specs(const std::string& container_id,
                                         const std::vector<std::string>& specs);

}  // namespace ckpt::netns
