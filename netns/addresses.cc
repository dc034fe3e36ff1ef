// container_addresses: what `ckpt list` shows of a container's network.
#include <net/if.h>

#include "netns/netns.h"
#include "netns/nl_objects.h"
#include "netns/ns_thread.h"

namespace ckpt::netns {

std::vector<std::string> container_addresses(pid_t pid) {
  UniqueFd netns = open_netns_of(pid);
  NlSock sock = in_netns(netns.get(), [] { return connect_route_socket(); });
  nl_cache* raw = nullptr;
  check_nl(rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &raw), "links of pid {}", pid);
  NlCache links(raw);
  check_nl(rtnl_addr_alloc_cache(sock.get(), &raw), "addresses of pid {}", pid);
  NlCache addrs(raw);
  std::vector<std::string> out;
  for_each_object<rtnl_addr>(addrs.get(), [&](rtnl_addr* a) {
    if (rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE) return;  // lo's and link-local ones
    char name[IF_NAMESIZE] = "";
    rtnl_link_i2name(links.get(), rtnl_addr_get_ifindex(a), name, sizeof name);
    out.push_back(fmt::format("{} {}/{}", name, addr_to_string(rtnl_addr_get_local(a)),
                              rtnl_addr_get_prefixlen(a)));
  });
  return out;
}

}  // namespace ckpt::netns
