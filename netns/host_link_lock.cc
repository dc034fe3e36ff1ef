#include "netns/host_link_lock.h"

#include <net/if.h>

#include <fmt/ranges.h>

#include "common/log.h"
#include "netns/libnl_netlink.h"

namespace ckpt::netns {

namespace {

bool is_up(nl_sock* sock, const std::string& name) {
  return (rtnl_link_get_flags(get_link(sock, name, "host").get()) & IFF_UP) != 0;
}

void change_up(nl_sock* sock, const std::string& name, bool up) {
  RtnlLink orig = get_link(sock, name, "host");
  RtnlLink change(rtnl_link_alloc());
  if (up)
    rtnl_link_set_flags(change.get(), IFF_UP);
  else
    rtnl_link_unset_flags(change.get(), IFF_UP);
  check_nl(rtnl_link_change(sock, orig.get(), change.get(), 0), "set host link {} {}", name,
           up ? "up" : "down");
}

}  // namespace

std::vector<std::string> host_veth_ends(const records::NetNamespace& net) {
  std::vector<std::string> names;
  for (const auto& link : net.links) {
    if (link.kind == "veth" && !link.veth.inside && !link.veth.name.empty())
      names.push_back(link.veth.name);
  }
  return names;
}

void set_host_link_up(const std::string& name, bool up) {
  NlSock sock = connect_route_socket();
  change_up(sock.get(), name, up);
}

HostLinksDown::HostLinksDown(std::vector<std::string> names) {
  NlSock sock = connect_route_socket();
  for (const auto& name : names) {
    if (!is_up(sock.get(), name)) continue;
    change_up(sock.get(), name, false);
    taken_down_.push_back(name);
  }
  if (!taken_down_.empty()) spdlog::debug("network locked: {} down", fmt::join(taken_down_, ", "));
}

HostLinksDown::~HostLinksDown() {
  if (taken_down_.empty()) return;
  try {
    NlSock sock = connect_route_socket();
    for (const auto& name : taken_down_) change_up(sock.get(), name, true);
    spdlog::debug("network unlocked: {} up", fmt::join(taken_down_, ", "));
  } catch (const std::exception& e) {
    spdlog::warn("network unlock: {}", e.what());
  }
}

}  // namespace ckpt::netns
