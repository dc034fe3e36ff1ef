#include "netns/link_kinds.h"

#include <netlink/route/link/ipvlan.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vlan.h>
#include <netlink/route/link/vxlan.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include "common/error.h"
#include "netns/nl_objects.h"

namespace ckpt::netns {

namespace {

using Factory = std::function<RtnlLink()>;

RtnlLink typed(const char* kind) {
  RtnlLink l(rtnl_link_alloc());
  rtnl_link_set_type(l.get(), kind);
  return l;
}

// Links on top of `parent` (the probe's veth end).
RtnlLink on_parent(RtnlLink l, int parent) {
  rtnl_link_set_link(l.get(), parent);
  return l;
}

// Kinds in the order `ckpt check` prints them. Each probe names its link "p<index>".
std::vector<std::pair<std::string, Factory>> kinds(int parent) {
  return {
      {"veth", [] { return RtnlLink(rtnl_link_veth_alloc()); }},
      {"bridge", [] { return typed("bridge"); }},
      {"macvlan", [=] { return on_parent(RtnlLink(rtnl_link_macvlan_alloc()), parent); }},
      {"vxlan",
       [] {
         RtnlLink l(rtnl_link_vxlan_alloc());
         rtnl_link_vxlan_set_id(l.get(), 42);
         return l;
       }},
      {"dummy", [] { return typed("dummy"); }},
      {"vlan",
       [=] {
         RtnlLink l(rtnl_link_vlan_alloc());
         rtnl_link_vlan_set_id(l.get(), 7);
         return on_parent(std::move(l), parent);
       }},
      {"ipvlan", [=] { return on_parent(RtnlLink(rtnl_link_ipvlan_alloc()), parent); }},
  };
}

// In the probe child, inside its own new netns: a bitmask of the kinds that could be created.
int probe_in_new_netns() {
  if (::unshare(CLONE_NEWNET) != 0) return 0;
  NlSock sock = connect_route_socket();
  RtnlLink base(rtnl_link_veth_alloc());
  rtnl_link_set_name(base.get(), "probe0");
  if (rtnl_link_add(sock.get(), base.get(), NLM_F_CREATE | NLM_F_EXCL) < 0) return 0;
  nl_cache* raw_cache = nullptr;
  if (rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &raw_cache) < 0) return 0;
  NlCache cache(raw_cache);
  int parent = rtnl_link_name2i(cache.get(), "probe0");
  int mask = 0;
  auto list = kinds(parent);
  for (size_t i = 0; i < list.size(); ++i) {
    RtnlLink link = list[i].second();
    if (!link) continue;
    std::string name = "p" + std::to_string(i);
    rtnl_link_set_name(link.get(), name.c_str());
    if (rtnl_link_add(sock.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL) >= 0) mask |= 1 << i;
  }
  return mask;
}

}  // namespace

std::vector<std::pair<std::string, bool>> probe_link_kinds() {
  pid_t child = ::fork();
  if (child < 0) throw_errno("fork");
  if (child == 0) {
    int mask = 0;
    try {
      mask = probe_in_new_netns();
    } catch (const std::exception&) {
    }
    ::_exit(mask);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  int mask = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  std::vector<std::pair<std::string, bool>> out;
  auto list = kinds(0);
  for (size_t i = 0; i < list.size(); ++i) out.emplace_back(list[i].first, mask & (1 << i));
  return out;
}

}  // namespace ckpt::netns
