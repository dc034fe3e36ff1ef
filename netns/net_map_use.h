// A --net-map must name what the image uses: a mistyped one would otherwise be ignored.
#pragma once

#include <string>

#include "common/records/net.h"
#include "netns/netns.h"

namespace ckpt::netns {

// Throws ErrorKind::kUsage naming each rename of `map` whose OLD name `net` does not use. Host
// veth names count as dumped and as re-derived from `container_id`.
void refuse_unused_net_map(const records::NetNamespace& net, const std::string& container_id,
                           const NetMap& map);

}  // namespace ckpt::netns
