// dump_netns: the record of a network namespace, read through two route sockets, one in the
// target netns and one in ours (the host), where veth peers and macvlan/vxlan parents live.
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/nexthop.h>

#include "common/error_kind.h"
#include "common/proc/net_sysctls.h"
#include "netns/netns.h"
#include "netns/nl_objects.h"
#include "netns/ns_thread.h"
#include "netns/raw_link.h"
#include "netns/sysctl.h"

namespace ckpt::netns {

namespace {

NlCache link_cache(nl_sock* sock) {
  nl_cache* raw = nullptr;
  check_nl(rtnl_link_alloc_cache(sock, AF_UNSPEC, &raw), "dump links");
  return NlCache(raw);
}

std::string name_of(nl_cache* links, int ifindex) {
  if (ifindex <= 0) return "";
  char buf[IFNAMSIZ];
  const char* name = rtnl_link_i2name(links, ifindex, buf, sizeof buf);
  return name ? name : "";
}

bool is_multicast(const nl_addr* a) {
  const auto* bytes = static_cast<const uint8_t*>(nl_addr_get_binary_addr(a));
  if (nl_addr_get_len(a) == 0) return false;
  return nl_addr_get_family(a) == AF_INET6 ? bytes[0] == 0xff : (bytes[0] & 0xf0) == 0xe0;
}

// The link at `ifindex` in the netns that `link`'s IFLA_LINK points into: ours when the kernel
// reports a link netnsid, else the dumped one.
struct LinkTarget {
  RtnlLink link;
  bool on_host = false;
};

class Dumper {
 public:
  Dumper(nl_sock* host, nl_sock* ns)
      : host_(host),
        ns_(ns),
        host_links_(link_cache(host)),
        ns_links_(link_cache(ns)),
        info_(dump_link_info_data(ns)) {}

  void links(records::NetNamespace& net) {
    for_each_object<rtnl_link>(ns_links_.get(),
                               [&](rtnl_link* l) { net.links.push_back(link(l)); });
  }
  void addresses(records::NetNamespace& net);
  void routes(records::NetNamespace& net);
  void rules(records::NetNamespace& net);
  void neighbours(records::NetNamespace& net);

 private:
  records::NetLink link(rtnl_link* l);
  void veth(rtnl_link* l, records::NetLink& out);
  LinkTarget target_of(rtnl_link* l, int ifindex) {
    int32_t nsid = -1;
    bool on_host = rtnl_link_get_link_netnsid(l, &nsid) == 0;
    nl_cache* cache = on_host ? host_links_.get() : ns_links_.get();
    return {RtnlLink(rtnl_link_get(cache, ifindex)), on_host};
  }
  std::string host_parent(rtnl_link* l, int ifindex, const std::string& name) {
    LinkTarget parent = target_of(l, ifindex);
    if (!parent.link) fail("link {}: its parent (ifindex {}) is not on this host", name, ifindex);
    if (!parent.on_host)
      fail(ErrorKind::kRefused,
           "link {}: its parent {} is inside the namespace (only host parents are supported)", name,
           rtnl_link_get_name(parent.link.get()));
    return rtnl_link_get_name(parent.link.get());
  }

  nl_sock* host_;
  nl_sock* ns_;
  NlCache host_links_;
  NlCache ns_links_;
  std::map<int, LinkInfoData> info_;
};

records::NetLink Dumper::link(rtnl_link* l) {
  records::NetLink out;
  out.name = rtnl_link_get_name(l);
  out.ifindex = rtnl_link_get_ifindex(l);
  out.mtu = rtnl_link_get_mtu(l);
  out.mac = addr_to_string(rtnl_link_get_addr(l));
  out.up = rtnl_link_get_flags(l) & IFF_UP;
  out.master = name_of(ns_links_.get(), rtnl_link_get_master(l));
  const char* type = rtnl_link_get_type(l);
  out.kind = type ? type : (rtnl_link_get_flags(l) & IFF_LOOPBACK) ? "loopback" : "";
  const LinkInfoData& info = info_[out.ifindex];
  if (out.kind == "veth") {
    veth(l, out);
  } else if (out.kind == "bridge") {
    out.bridge = bridge_info(info);
  } else if (out.kind == "macvlan") {
    out.macvlan_mode = rtnl_link_macvlan_get_mode(l);
    out.macvlan_parent = host_parent(l, rtnl_link_get_link(l), out.name);
  } else if (out.kind == "vxlan") {
    auto& vx = out.vxlan;
    uint32_t u = 0;
    rtnl_link_vxlan_get_id(l, &vx.vni);
    nl_addr* a = nullptr;
    if (rtnl_link_vxlan_get_group(l, &a) == 0) {
      NlAddr group(a);
      (is_multicast(a) ? vx.group : vx.remote) = addr_to_string(a);
    }
    if (rtnl_link_vxlan_get_local(l, &a) == 0) {
      NlAddr local(a);
      vx.local = addr_to_string(a);
    }
    if (rtnl_link_vxlan_get_port(l, &u) == 0) vx.port = static_cast<uint16_t>(u);
    int ttl = rtnl_link_vxlan_get_ttl(l);
    vx.ttl = ttl > 0 ? static_cast<uint8_t>(ttl) : 0;
    if (rtnl_link_vxlan_get_link(l, &u) == 0 && u)
      vx.parent = host_parent(l, static_cast<int>(u), out.name);
  } else if (out.kind == "tun") {
    out.tun = tun_info(info);
  } else if (out.kind != "loopback") {
    fail(ErrorKind::kRefused, "link {}: kind '{}' cannot be checkpointed", out.name,
         out.kind.empty() ? "device" : out.kind);
  }
  return out;
}

void Dumper::veth(rtnl_link* l, records::NetLink& out) {
  LinkTarget peer = target_of(l, rtnl_link_get_link(l));
  if (!peer.link)
    fail(ErrorKind::kRefused, "veth {}: its peer is in a namespace other than the host's",
         out.name);
  rtnl_link* p = peer.link.get();
  if (peer.on_host && rtnl_link_get_link(p) != out.ifindex)
    fail(ErrorKind::kRefused, "veth {}: its peer is in a namespace other than the host's",
         out.name);
  auto& v = out.veth;
  v.name = rtnl_link_get_name(p);
  v.inside = !peer.on_host;
  nl_cache* peer_links = peer.on_host ? host_links_.get() : ns_links_.get();
  v.master = name_of(peer_links, rtnl_link_get_master(p));
  v.mtu = rtnl_link_get_mtu(p);
  v.mac = addr_to_string(rtnl_link_get_addr(p));
  v.up = rtnl_link_get_flags(p) & IFF_UP;
}

void Dumper::addresses(records::NetNamespace& net) {
  nl_cache* raw = nullptr;
  check_nl(rtnl_addr_alloc_cache(ns_, &raw), "dump addresses");
  NlCache cache(raw);
  for_each_object<rtnl_addr>(cache.get(), [&](rtnl_addr* a) {
    records::NetAddress out;
    out.link = name_of(ns_links_.get(), rtnl_addr_get_ifindex(a));
    out.family = rtnl_addr_get_family(a);
    out.local = addr_to_string(rtnl_addr_get_local(a));
    out.peer = addr_to_string(rtnl_addr_get_peer(a));
    out.prefix = static_cast<uint8_t>(rtnl_addr_get_prefixlen(a));
    out.scope = static_cast<uint8_t>(rtnl_addr_get_scope(a));
    out.flags = rtnl_addr_get_flags(a);
    out.valid_lifetime = rtnl_addr_get_valid_lifetime(a);
    out.preferred_lifetime = rtnl_addr_get_preferred_lifetime(a);
    const char* label = rtnl_addr_get_label(a);
    out.label = label ? label : "";
    if (out.family == AF_INET || out.family == AF_INET6) net.addresses.push_back(out);
  });
}

void Dumper::routes(records::NetNamespace& net) {
  nl_cache* raw = nullptr;
  check_nl(rtnl_route_alloc_cache(ns_, AF_UNSPEC, 0, &raw), "dump routes");
  NlCache cache(raw);
  for_each_object<rtnl_route>(cache.get(), [&](rtnl_route* r) {
    int family = rtnl_route_get_family(r);
    if (rtnl_route_get_protocol(r) == RTPROT_KERNEL) return;  // made again from addresses
    if (family != AF_INET && family != AF_INET6) return;
    records::NetRoute out;
    out.family = family;
    out.table = rtnl_route_get_table(r);
    nl_addr* dst = rtnl_route_get_dst(r);
    out.dst = addr_to_string(dst);
    out.dst_len = dst ? static_cast<uint8_t>(nl_addr_get_prefixlen(dst)) : 0;
    out.prefsrc = addr_to_string(rtnl_route_get_pref_src(r));
    out.priority = rtnl_route_get_priority(r);
    out.scope = static_cast<uint8_t>(rtnl_route_get_scope(r));
    out.protocol = static_cast<uint8_t>(rtnl_route_get_protocol(r));
    out.type = static_cast<uint8_t>(rtnl_route_get_type(r));
    if (rtnl_route_get_nnexthops(r) > 1)
      fail(ErrorKind::kRefused, "route table {} {}/{}: multipath routes are not supported",
           out.table, out.dst, out.dst_len);
    if (rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0)) {
      out.link = name_of(ns_links_.get(), rtnl_route_nh_get_ifindex(nh));
      out.gateway = addr_to_string(rtnl_route_nh_get_gateway(nh));
      out.flags = rtnl_route_nh_get_flags(nh) & RTNH_F_ONLINK;
    }
    net.routes.push_back(out);
  });
}

void Dumper::rules(records::NetNamespace& net) {
  nl_cache* raw = nullptr;
  check_nl(rtnl_rule_alloc_cache(ns_, AF_UNSPEC, &raw), "dump rules");
  NlCache cache(raw);
  for_each_object<rtnl_rule>(cache.get(), [&](rtnl_rule* r) {
    records::NetRule out;
    if (rtnl_rule_get_protocol(r, &out.protocol) == 0 && out.protocol == RTPROT_KERNEL)
      return;  // the default rules every netns has
    out.family = rtnl_rule_get_family(r);
    out.priority = rtnl_rule_get_prio(r);
    out.table = rtnl_rule_get_table(r);
    out.action = rtnl_rule_get_action(r);
    nl_addr* src = rtnl_rule_get_src(r);
    nl_addr* dst = rtnl_rule_get_dst(r);
    out.src = addr_to_string(src);
    out.src_len = src ? static_cast<uint8_t>(nl_addr_get_prefixlen(src)) : 0;
    out.dst = addr_to_string(dst);
    out.dst_len = dst ? static_cast<uint8_t>(nl_addr_get_prefixlen(dst)) : 0;
    const char* iif = rtnl_rule_get_iif(r);
    const char* oif = rtnl_rule_get_oif(r);
    out.iif = iif ? iif : "";
    out.oif = oif ? oif : "";
    out.fwmark = rtnl_rule_get_mark(r);
    out.fwmask = rtnl_rule_get_mask(r);
    if (out.fwmark == UINT32_MAX) out.fwmark = out.fwmask = 0;  // libnl's "unset"
    net.rules.push_back(out);
  });
}

void Dumper::neighbours(records::NetNamespace& net) {
  nl_cache* raw = nullptr;
  check_nl(rtnl_neigh_alloc_cache(ns_, &raw), "dump neighbours");
  NlCache cache(raw);
  for_each_object<rtnl_neigh>(cache.get(), [&](rtnl_neigh* n) {
    int family = rtnl_neigh_get_family(n);
    int state = rtnl_neigh_get_state(n);
    constexpr int kLearned = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE;
    if ((family != AF_INET && family != AF_INET6) || !(state & (NUD_PERMANENT | kLearned)))
      return;
    records::NetNeighbour out;
    out.link = name_of(ns_links_.get(), rtnl_neigh_get_ifindex(n));
    out.family = family;
    out.dst = addr_to_string(rtnl_neigh_get_dst(n));
    out.lladdr = rtnl_neigh_get_lladdr(n) ? addr_to_string(rtnl_neigh_get_lladdr(n)) : "";
    if (state & NUD_PERMANENT) {
      out.state = static_cast<uint16_t>(state);
      net.neighbours.push_back(out);
    } else if (!out.lladdr.empty()) {
      out.state = NUD_STALE;  // confirmed again by the kernel on its first use
      net.learned_neighbours.push_back(out);
    }
  });
}

}  // namespace

records::NetNamespace dump_netns(pid_t pid) {
  UniqueFd netns = open_netns_of(pid);
  NlSock host = connect_route_socket();
  records::NetNamespace net;
  NlSock ns = in_netns(netns.get(), [&] {
    net.sysctls = proc::read_net_sysctls();
    return connect_route_socket();
  });
  Dumper dumper(host.get(), ns.get());
  dumper.links(net);
  dumper.addresses(net);
  dumper.routes(net);
  dumper.rules(net);
  dumper.neighbours(net);
  return net;
}

}  // namespace ckpt::netns
