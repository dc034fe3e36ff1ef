// The network lock of established TCP connections: the host ends of a container's veths held
// down, so that no segment reaches the container while its connections are in repair mode, gone
// (dumped and killed) or not yet repaired (being restored). A segment that met no socket would
// be answered with a RST and the peer would drop the connection; with the link down it is lost
// instead, and the peer retransmits it once the link is up again.
#pragma once

#include <string>
#include <vector>

#include "common/records/net.h"

namespace ckpt::netns {

// The host-side names of the container's veths (those with one end outside).
std::vector<std::string> host_veth_ends(const records::NetNamespace& net);

// Sets a host link up or down; a missing link is an Error naming it.
void set_host_link_up(const std::string& name, bool up);

// Takes the given host links down for its lifetime; the destructor brings up again those it
// took down, unless keep_down() was called (the container is going away with them).
class HostLinksDown {
 public:
  explicit HostLinksDown(std::vector<std::string> names);
  ~HostLinksDown();
  HostLinksDown(const HostLinksDown&) = delete;
  HostLinksDown& operator=(const HostLinksDown&) = delete;

  void keep_down() { taken_down_.clear(); }

 private:
  std::vector<std::string> taken_down_;
};

}  // namespace ckpt::netns
