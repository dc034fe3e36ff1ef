#include "netns/libnl_netlink.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/nexthop.h>
#include <sys/ioctl.h>

#include <cstring>

#include "netns/ns_thread.h"
#include "netns/raw_link.h"
#include "netns/sysctl.h"

namespace ckpt::netns {

namespace {

constexpr uint32_t kForever = 0xffffffff;
// Address flags a user sets; the others (permanent, tentative, secondary...) are kernel state.
constexpr unsigned kSettableAddrFlags = IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_NOPREFIXROUTE |
                                        IFA_F_MANAGETEMPADDR | IFA_F_MCAUTOJOIN | IFA_F_OPTIMISTIC;

void set_common(rtnl_link* l, const std::string& name, uint32_t mtu, const std::string& mac) {
  rtnl_link_set_name(l, name.c_str());
  if (mtu) rtnl_link_set_mtu(l, mtu);
  if (!mac.empty()) rtnl_link_set_addr(l, parse_addr(mac, AF_LLC).get());
}

int ifindex_of(nl_sock* sock, const std::string& name, const char* where) {
  return rtnl_link_get_ifindex(get_link(sock, name, where).get());
}

void change_flags_up(nl_sock* sock, const std::string& name, const char* where) {
  RtnlLink orig = get_link(sock, name, where);
  RtnlLink change(rtnl_link_alloc());
  rtnl_link_set_flags(change.get(), IFF_UP);
  check_nl(rtnl_link_change(sock, orig.get(), change.get(), 0), "set {} up ({})", name, where);
}

void enslave(nl_sock* sock, const std::string& link, const std::string& master, const char* where) {
  check_nl(rtnl_link_enslave_ifindex(sock, ifindex_of(sock, master, where),
                                     ifindex_of(sock, link, where)),
           "enslave {} to {} ({})", link, master, where);
}

}  // namespace

RtnlLink get_link(nl_sock* sock, const std::string& name, const char* where) {
  rtnl_link* raw = nullptr;
  check_nl(rtnl_link_get_kernel(sock, 0, name.c_str(), &raw), "link {} ({})", name, where);
  return RtnlLink(raw);
}

LibnlNetlink::LibnlNetlink(int netns_fd) : netns_fd_(netns_fd), host_(connect_route_socket()) {
  if (netns_fd >= 0) ns_ = in_netns(netns_fd, [] { return connect_route_socket(); });
}

nl_sock* LibnlNetlink::ns() {
  if (!ns_) fail("netns: no target namespace");
  return ns_.get();
}

std::optional<std::string> LibnlNetlink::host_link_kind(const std::string& name) {
  rtnl_link* raw = nullptr;
  int err = rtnl_link_get_kernel(host_.get(), 0, name.c_str(), &raw);
  if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return std::nullopt;
  check_nl(err, "host link {}", name);
  RtnlLink link(raw);
  const char* type = rtnl_link_get_type(link.get());
  return std::string(type ? type : "");
}

void LibnlNetlink::create_link(const records::NetLink& link) {
  if (link.kind == "loopback")
    set_loopback_mtu(link);
  else if (link.kind == "veth")
    create_veth(link);
  else if (link.kind == "bridge")
    create_bridge(ns(), link);
  else if (link.kind == "macvlan")
    create_macvlan(link);
  else if (link.kind == "vxlan")
    create_vxlan(link);
  else if (link.kind == "tun")
    create_tap(link);
  else
    fail("link {}: cannot create links of kind {}", link.name, link.kind);
}

void LibnlNetlink::set_loopback_mtu(const records::NetLink& link) {
  RtnlLink orig = get_link(ns(), link.name, "netns");
  if (!link.mtu || rtnl_link_get_mtu(orig.get()) == link.mtu) return;
  RtnlLink change(rtnl_link_alloc());
  rtnl_link_set_mtu(change.get(), link.mtu);
  check_nl(rtnl_link_change(ns(), orig.get(), change.get(), 0), "set mtu of {}", link.name);
}

void LibnlNetlink::create_veth(const records::NetLink& link) {
  RtnlLink veth(rtnl_link_veth_alloc());
  rtnl_link* peer = rtnl_link_veth_get_peer(veth.get());
  set_common(peer, link.name, link.mtu, link.mac);
  set_common(veth.get(), link.veth.name, link.veth.mtu, link.veth.mac);
  if (!link.veth.inside) rtnl_link_set_ns_fd(peer, netns_fd_);
  rtnl_link_put(peer);  // get_peer took a reference; `veth` keeps its own
  if (link.veth.inside) {
    check_nl(rtnl_link_add(ns(), veth.get(), NLM_F_CREATE | NLM_F_EXCL), "create veth {}/{}",
             link.name, link.veth.name);
    return;
  }
  check_nl(rtnl_link_add(host_.get(), veth.get(), NLM_F_CREATE | NLM_F_EXCL),
           "create veth {} (host end {})", link.name, link.veth.name);
}

void LibnlNetlink::create_macvlan(const records::NetLink& link) {
  RtnlLink mv(rtnl_link_macvlan_alloc());
  set_common(mv.get(), link.name, link.mtu, link.mac);
  rtnl_link_set_link(mv.get(), ifindex_of(host_.get(), link.macvlan_parent, "host"));
  check_nl(rtnl_link_macvlan_set_mode(mv.get(), link.macvlan_mode), "macvlan {} mode", link.name);
  rtnl_link_set_ns_fd(mv.get(), netns_fd_);
  check_nl(rtnl_link_add(host_.get(), mv.get(), NLM_F_CREATE | NLM_F_EXCL),
           "create macvlan {} on {}", link.name, link.macvlan_parent);
}

void LibnlNetlink::create_vxlan(const records::NetLink& link) {
  const auto& vx = link.vxlan;
  RtnlLink l(rtnl_link_vxlan_alloc());
  set_common(l.get(), link.name, link.mtu, link.mac);
  rtnl_link_vxlan_set_id(l.get(), vx.vni);
  const std::string& peer = vx.group.empty() ? vx.remote : vx.group;
  if (!peer.empty()) rtnl_link_vxlan_set_group(l.get(), parse_addr(peer, AF_UNSPEC).get());
  if (!vx.local.empty()) rtnl_link_vxlan_set_local(l.get(), parse_addr(vx.local, AF_UNSPEC).get());
  if (vx.port) rtnl_link_vxlan_set_port(l.get(), vx.port);
  if (vx.ttl) rtnl_link_vxlan_set_ttl(l.get(), vx.ttl);
  if (!vx.parent.empty())
    rtnl_link_vxlan_set_link(l.get(), ifindex_of(host_.get(), vx.parent, "host"));
  rtnl_link_set_ns_fd(l.get(), netns_fd_);
  check_nl(rtnl_link_add(host_.get(), l.get(), NLM_F_CREATE | NLM_F_EXCL), "create vxlan {}",
           link.name);
}

void LibnlNetlink::create_tap(const records::NetLink& link) {
  in_netns(netns_fd_, [&] {
    UniqueFd tun(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    if (!tun) throw_errno("open(/dev/net/tun) for {}", link.name);
    ifreq ifr{};
    strncpy(ifr.ifr_name, link.name.c_str(), IFNAMSIZ - 1);
    ifr.ifr_flags = static_cast<short>((link.tun.tap ? IFF_TAP : IFF_TUN) | link.tun.flags);
    if (::ioctl(tun.get(), TUNSETIFF, &ifr) != 0) throw_errno("TUNSETIFF({})", link.name);
    if (link.tun.owner >= 0 && ::ioctl(tun.get(), TUNSETOWNER, link.tun.owner) != 0)
      throw_errno("TUNSETOWNER({})", link.name);
    if (link.tun.group >= 0 && ::ioctl(tun.get(), TUNSETGROUP, link.tun.group) != 0)
      throw_errno("TUNSETGROUP({})", link.name);
    if (::ioctl(tun.get(), TUNSETPERSIST, 1) != 0) throw_errno("TUNSETPERSIST({})", link.name);
  });
  RtnlLink orig = get_link(ns(), link.name, "netns");
  RtnlLink change(rtnl_link_alloc());
  if (link.mtu) rtnl_link_set_mtu(change.get(), link.mtu);
  if (!link.mac.empty()) rtnl_link_set_addr(change.get(), parse_addr(link.mac, AF_LLC).get());
  check_nl(rtnl_link_change(ns(), orig.get(), change.get(), 0), "set mtu/mac of {}", link.name);
}

void LibnlNetlink::set_master(const std::string& link, const std::string& master) {
  enslave(ns(), link, master, "netns");
}

void LibnlNetlink::set_host_master(const std::string& host_link, const std::string& bridge) {
  enslave(host_.get(), host_link, bridge, "host");
}

void LibnlNetlink::set_up(const std::string& link) {
  change_flags_up(ns(), link, "netns");
}

void LibnlNetlink::set_host_up(const std::string& host_link) {
  change_flags_up(host_.get(), host_link, "host");
}

void LibnlNetlink::add_address(const records::NetAddress& a) {
  RtnlAddr addr(rtnl_addr_alloc());
  rtnl_addr_set_ifindex(addr.get(), ifindex_of(ns(), a.link, "netns"));
  rtnl_addr_set_family(addr.get(), a.family);
  check_nl(rtnl_addr_set_local(addr.get(), parse_addr(a.local, a.family, a.prefix).get()),
           "address {}", a.local);
  if (!a.peer.empty()) rtnl_addr_set_peer(addr.get(), parse_addr(a.peer, a.family, a.prefix).get());
  rtnl_addr_set_prefixlen(addr.get(), a.prefix);
  rtnl_addr_set_scope(addr.get(), a.scope);
  rtnl_addr_set_flags(addr.get(), a.flags & kSettableAddrFlags);
  if (a.valid_lifetime != kForever) {
    rtnl_addr_set_valid_lifetime(addr.get(), a.valid_lifetime);
    rtnl_addr_set_preferred_lifetime(addr.get(), a.preferred_lifetime);
  }
  if (a.family == AF_INET && !a.label.empty() && a.label != a.link)
    rtnl_addr_set_label(addr.get(), a.label.c_str());
  check_nl(rtnl_addr_add(ns(), addr.get(), NLM_F_REPLACE), "add address {}/{} to {}", a.local,
           a.prefix, a.link);
}

void LibnlNetlink::add_route(const records::NetRoute& r) {
  RtnlRoute route(rtnl_route_alloc());
  rtnl_route_set_family(route.get(), static_cast<uint8_t>(r.family));
  rtnl_route_set_table(route.get(), r.table);
  NlAddr dst =
      r.dst.empty() ? parse_addr("default", r.family) : parse_addr(r.dst, r.family, r.dst_len);
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_route_set_scope(route.get(), r.scope);
  rtnl_route_set_protocol(route.get(), r.protocol);
  rtnl_route_set_type(route.get(), r.type);
  if (r.priority) rtnl_route_set_priority(route.get(), r.priority);
  if (!r.prefsrc.empty())
    rtnl_route_set_pref_src(route.get(), parse_addr(r.prefsrc, r.family).get());
  if (!r.link.empty() || !r.gateway.empty()) {
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    if (!r.link.empty()) rtnl_route_nh_set_ifindex(nh, ifindex_of(ns(), r.link, "netns"));
    if (!r.gateway.empty()) rtnl_route_nh_set_gateway(nh, parse_addr(r.gateway, r.family).get());
    rtnl_route_nh_set_flags(nh, r.flags);
    rtnl_route_add_nexthop(route.get(), nh);
  }
  check_nl(rtnl_route_add(ns(), route.get(), NLM_F_EXCL), "add route table {} to {}/{}", r.table,
           r.dst.empty() ? "default" : r.dst, r.dst_len);
}

void LibnlNetlink::add_rule(const records::NetRule& r) {
  RtnlRule rule(rtnl_rule_alloc());
  rtnl_rule_set_family(rule.get(), r.family);
  rtnl_rule_set_prio(rule.get(), r.priority);
  rtnl_rule_set_table(rule.get(), r.table);
  rtnl_rule_set_action(rule.get(), r.action);
  if (!r.src.empty()) rtnl_rule_set_src(rule.get(), parse_addr(r.src, r.family, r.src_len).get());
  if (!r.dst.empty()) rtnl_rule_set_dst(rule.get(), parse_addr(r.dst, r.family, r.dst_len).get());
  if (!r.iif.empty()) rtnl_rule_set_iif(rule.get(), r.iif.c_str());
  if (!r.oif.empty()) rtnl_rule_set_oif(rule.get(), r.oif.c_str());
  if (r.fwmark || r.fwmask) {
    rtnl_rule_set_mark(rule.get(), r.fwmark);
    rtnl_rule_set_mask(rule.get(), r.fwmask);
  }
  if (r.protocol) rtnl_rule_set_protocol(rule.get(), r.protocol);
  check_nl(rtnl_rule_add(ns(), rule.get(), NLM_F_EXCL), "add rule {} (table {})", r.priority,
           r.table);
}

void LibnlNetlink::add_neighbour(const records::NetNeighbour& n) {
  RtnlNeigh neigh(rtnl_neigh_alloc());
  rtnl_neigh_set_ifindex(neigh.get(), ifindex_of(ns(), n.link, "netns"));
  rtnl_neigh_set_family(neigh.get(), n.family);
  check_nl(rtnl_neigh_set_dst(neigh.get(), parse_addr(n.dst, n.family).get()), "neighbour {}",
           n.dst);
  if (!n.lladdr.empty()) rtnl_neigh_set_lladdr(neigh.get(), parse_addr(n.lladdr, AF_LLC).get());
  rtnl_neigh_set_state(neigh.get(), n.state);
  check_nl(rtnl_neigh_add(ns(), neigh.get(), NLM_F_CREATE | NLM_F_REPLACE),
           "add neighbour {} on {}", n.dst, n.link);
}

void LibnlNetlink::write_sysctls(const std::vector<records::NetSysctl>& sysctls) {
  if (netns_fd_ < 0) fail("netns: no target namespace");
  in_netns(netns_fd_, [&] { write_net_sysctls(sysctls); });
}

void LibnlNetlink::delete_host_link(const std::string& name) {
  RtnlLink link(rtnl_link_alloc());
  rtnl_link_set_name(link.get(), name.c_str());
  int err = rtnl_link_delete(host_.get(), link.get());
  if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return;
  check_nl(err, "delete host link {}", name);
}

}  // namespace ckpt::netns
