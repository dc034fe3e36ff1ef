// The network namespace module: dump a container's network through netlink (libnl-route-3) and
// rebuild it elsewhere. (Stub until the network issue lands.)
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace ckpt::netns {

// Brings up `lo` (and, later, the `--net` interfaces) for a container whose init is `pid`.
void setup_container_network(pid_t pid, const std::string& container_id,
                             const std::vector<std::string>& net_specs);

}  // namespace ckpt::netns
