// Which virtual link kinds this kernel creates, probed in a throwaway network namespace (for
// `ckpt check`: kernels without modules lack some, e.g. dummy, vlan, ipvlan).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ckpt::netns {

// (kind, whether a link of it could be created), in a fixed order.
std::vector<std::pair<std::string, bool>> probe_link_kinds();

}  // namespace ckpt::netns
