// The small netlink interface a restore plan is applied through. LibnlNetlink talks to the kernel
// (a socket in the host netns and one in the target netns); tests use a fake that records calls.
// Links are named as in the target netns; "host" operations act on the host's netns.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/records/net.h"

namespace ckpt::netns {

class Netlink {
 public:
  virtual ~Netlink() = default;

  // Kind of a host link ("bridge", "veth", ... or "" for a plain device); nullopt if missing.
  virtual std::optional<std::string> host_link_kind(const std::string& name) = 0;

  // Creates `link` in the target netns. A veth whose peer is not `inside` gets its peer created
  // on the host under link.veth.name; macvlan/vxlan parents are host links. For the loopback,
  // only its MTU is set.
  virtual void create_link(const records::NetLink& link) = 0;
  virtual void set_master(const std::string& link, const std::string& master) = 0;
  virtual void set_host_master(const std::string& host_link, const std::string& bridge) = 0;
  virtual void set_up(const std::string& link) = 0;
  virtual void set_host_up(const std::string& host_link) = 0;
  virtual void add_address(const records::NetAddress& address) = 0;
  virtual void add_route(const records::NetRoute& route) = 0;
  virtual void add_rule(const records::NetRule& rule) = 0;
  virtual void add_neighbour(const records::NetNeighbour& neighbour) = 0;
  // Writes the sysctls (under /proc/sys/net of the target netns) whose value differs.
  virtual void write_sysctls(const std::vector<records::NetSysctl>& sysctls) = 0;
  // Undo: removes a link made on the host (its peer in the target netns goes with it).
  virtual void delete_host_link(const std::string& name) = 0;
};

}  // namespace ckpt::netns
