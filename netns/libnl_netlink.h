// The Netlink interface over libnl-route-3: one route socket in the host's netns (the caller's)
// and one opened inside the target netns.
#pragma once

#include "netns/netlink.h"
#include "netns/nl_objects.h"

namespace ckpt::netns {

class LibnlNetlink : public Netlink {
 public:
  // `netns_fd` < 0: host operations only (preflight).
  explicit LibnlNetlink(int netns_fd);

  std::optional<std::string> host_link_kind(const std::string& name) override;
  void create_link(const records::NetLink& link) override;
  void set_master(const std::string& link, const std::string& master) override;
  void set_host_master(const std::string& host_link, const std::string& bridge) override;
  void set_up(const std::string& link) override;
  void set_host_up(const std::string& host_link) override;
  void add_address(const records::NetAddress& address) override;
  void add_route(const records::NetRoute& route) override;
  void add_rule(const records::NetRule& rule) override;
  void add_neighbour(const records::NetNeighbour& neighbour) override;
  void write_sysctls(const std::vector<records::NetSysctl>& sysctls) override;
  void delete_host_link(const std::string& name) override;

 private:
  nl_sock* ns();
  void create_veth(const records::NetLink& link);
  void create_macvlan(const records::NetLink& link);
  void create_vxlan(const records::NetLink& link);
  void create_tap(const records::NetLink& link);
  void set_loopback_mtu(const records::NetLink& link);

  int netns_fd_;
  NlSock host_;
  NlSock ns_;
};

// The link called `name` as the kernel has it now; throws Error naming it when missing.
RtnlLink get_link(nl_sock* sock, const std::string& name, const char* where);

}  // namespace ckpt::netns
