// A --net-map must name what the image uses: a mistyped one would otherwise be ignored.
#pragma once

#include <string>
#include <vector>

#include "common/records/net.h"
#include "netns/netns.h"

namespace ckpt::netns {

// Throws ErrorKind::kUsage naming each rename of `map` whose OLD name `net` does not use. Host
// veth names count as dumped and as re-derived from `container_id`.
void refuse_unused_net_map(const records::NetNamespace& net, const std::string& container_id,
                           const NetMap& map);

// Applies the `ip:OLD=NEW` entries of `specs` to `net` (the container's address OLD becomes NEW,
// same family, prefix kept; routes whose preferred source was OLD follow) and returns the other
// entries. Throws ErrorKind::kUsage for an OLD the image does not have or a bad NEW.
std::vector<std::string> apply_address_map(records::NetNamespace& net,
                                           const std::vector<std::string>& specs);

}  // namespace ckpt::netns
