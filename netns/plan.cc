#include "netns/plan.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <regex>

#include "common/error.h"
#include "netns/netns.h"

namespace ckpt::netns {

namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

std::string renamed(const std::map<std::string, std::string>& renames, const std::string& name) {
  auto it = renames.find(name);
  return it == renames.end() ? name : it->second;
}

// Per-link sysctls (ipv4/conf/eth0/..., ipv6/neigh/eth0/...) exist once their link does; the
// rest ("all", "default" and the namespace's own) are written before any link is made, so that
// links made afterwards start from the namespace's defaults.
bool is_global_sysctl(const std::string& path) {
  for (const char* family : {"ipv4/", "ipv6/"}) {
    if (path.rfind(family, 0) != 0) continue;
    for (const char* table : {"conf/", "neigh/"}) {
      std::string prefix = std::string(family) + table;
      if (path.rfind(prefix, 0) != 0) continue;
      std::string rest = path.substr(prefix.size());
      return rest.rfind("all/", 0) == 0 || rest.rfind("default/", 0) == 0;
    }
  }
  return true;
}

// The addresses the kernel gives a link by itself (lo's 127.0.0.1/8 and ::1, EUI-64 link-local)
// come back when the link goes up; adding them again would make them look user-made.
bool is_kernel_made(const records::NetAddress& address, const records::NetNamespace& net) {
  if (address.link == "lo" && ((address.local == "127.0.0.1" && address.prefix == 8) ||
                               (address.local == "::1" && address.prefix == 128)))
    return true;
  if (address.family != AF_INET6 || address.prefix != 64) return false;
  unsigned char addr[16];
  if (inet_pton(AF_INET6, address.local.c_str(), addr) != 1) return false;
  for (const auto& link : net.links) {
    if (link.name != address.link) continue;
    unsigned int mac[6];
    if (sscanf(link.mac.c_str(), "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4],
               &mac[5]) != 6)
      return false;
    unsigned char want[16] = {0xfe,
                              0x80,
                              0,
                              0,
                              0,
                              0,
                              0,
                              0,
                              static_cast<unsigned char>(mac[0] ^ 0x02),
                              static_cast<unsigned char>(mac[1]),
                              static_cast<unsigned char>(mac[2]),
                              0xff,
                              0xfe,
                              static_cast<unsigned char>(mac[3]),
                              static_cast<unsigned char>(mac[4]),
                              static_cast<unsigned char>(mac[5])};
    return memcmp(addr, want, 16) == 0;
  }
  return false;
}

bool created_with_earlier_peer(const records::NetNamespace& net, size_t index) {
  const auto& link = net.links[index];
  if (link.kind != "veth" || !link.veth.inside) return false;
  for (size_t i = 0; i < index; ++i)
    if (net.links[i].name == link.veth.name) return true;
  return false;
}

void add_sysctl_steps(const records::NetNamespace& net, bool global, Plan& plan) {
  WriteSysctls step{global ? "namespace" : "links", {}};
  for (const auto& s : net.sysctls)
    if (is_global_sysctl(s.path) == global) step.sysctls.push_back(s);
  if (!step.sysctls.empty()) plan.push_back(std::move(step));
}

std::string addr_text(const std::string& addr, int prefix) {
  return addr.empty() ? "default" : fmt::format("{}/{}", addr, prefix);
}

}  // namespace

std::string describe(const Step& step) {
  return std::visit(
      Overloaded{
          [](const CreateLink& s) {
            const auto& l = s.link;
            if (l.kind == "veth")
              return fmt::format("link veth {} ({} {})", l.name, l.veth.inside ? "peer" : "host",
                                 l.veth.name);
            if (l.kind == "macvlan")
              return fmt::format("link macvlan {} (parent {})", l.name, l.macvlan_parent);
            if (l.kind == "vxlan")
              return fmt::format("link vxlan {} (vni {}, parent {})", l.name, l.vxlan.vni,
                                 l.vxlan.parent.empty() ? "-" : l.vxlan.parent);
            return fmt::format("link {} {}", l.kind, l.name);
          },
          [](const SetMaster& s) {
            return fmt::format("{}master {} {}", s.host ? "host " : "", s.link, s.master);
          },
          [](const SetUp& s) { return fmt::format("{}up {}", s.host ? "host " : "", s.link); },
          [](const AddAddress& s) {
            return fmt::format("addr {} {}/{}", s.address.link, s.address.local, s.address.prefix);
          },
          [](const AddRoute& s) {
            const auto& r = s.route;
            return fmt::format("route table {} {}{}{}", r.table, addr_text(r.dst, r.dst_len),
                               r.gateway.empty() ? "" : " via " + r.gateway,
                               r.link.empty() ? "" : " dev " + r.link);
          },
          [](const AddRule& s) {
            return fmt::format("rule {} table {}", s.rule.priority, s.rule.table);
          },
          [](const AddNeighbour& s) {
            return fmt::format("neigh {} {} {}", s.neighbour.link, s.neighbour.dst,
                               s.neighbour.lladdr);
          },
          [](const WriteSysctls& s) {
            return fmt::format("sysctls {} ({})", s.what, s.sysctls.size());
          },
      },
      step);
}

records::NetNamespace map_to_host(const records::NetNamespace& net, const std::string& container_id,
                                  const NetMap& map) {
  static const std::regex derived("ck[0-9a-f]{8}-([0-9]+)");
  records::NetNamespace out = net;
  for (auto& link : out.links) {
    if (link.kind == "veth" && !link.veth.inside) {
      std::smatch m;
      if (!container_id.empty() && std::regex_match(link.veth.name, m, derived))
        link.veth.name = host_veth_name(container_id, std::stoi(m[1]));
      link.veth.name = renamed(map.veths, link.veth.name);
      if (!link.veth.master.empty()) link.veth.master = renamed(map.bridges, link.veth.master);
    }
    if (link.kind == "macvlan") link.macvlan_parent = renamed(map.links, link.macvlan_parent);
    if (link.kind == "vxlan" && !link.vxlan.parent.empty())
      link.vxlan.parent = renamed(map.links, link.vxlan.parent);
  }
  return out;
}

std::vector<std::string> host_problems(const records::NetNamespace& net, Netlink& nl) {
  std::vector<std::string> problems;
  auto need = [&](const std::string& what, const std::string& name, const std::string& user,
                  bool bridge) {
    auto kind = nl.host_link_kind(name);
    if (!kind)
      problems.push_back(fmt::format("{} {} (for {}) is missing", what, name, user));
    else if (bridge && *kind != "bridge")
      problems.push_back(fmt::format("{} (for {}) is not a bridge", name, user));
  };
  for (const auto& link : net.links) {
    if (link.kind == "veth" && !link.veth.inside) {
      if (nl.host_link_kind(link.veth.name))
        problems.push_back(
            fmt::format("host veth name {} (for {}) is taken", link.veth.name, link.name));
      if (!link.veth.master.empty()) need("bridge", link.veth.master, link.name, true);
    }
    if (link.kind == "macvlan") need("parent link", link.macvlan_parent, link.name, false);
    if (link.kind == "vxlan" && !link.vxlan.parent.empty())
      need("parent link", link.vxlan.parent, link.name, false);
  }
  return problems;
}

records::NetNamespace without_kernel_made(records::NetNamespace net) {
  std::erase_if(net.addresses, [&net](const auto& a) { return is_kernel_made(a, net); });
  return net;
}

Plan build_plan(const records::NetNamespace& net) {
  Plan plan;
  add_sysctl_steps(net, true, plan);
  for (size_t i = 0; i < net.links.size(); ++i)
    if (!created_with_earlier_peer(net, i)) plan.push_back(CreateLink{net.links[i]});
  add_sysctl_steps(net, false, plan);
  for (const auto& link : net.links) {
    if (!link.master.empty()) plan.push_back(SetMaster{link.name, link.master, false});
    if (link.kind == "veth" && !link.veth.inside && !link.veth.master.empty())
      plan.push_back(SetMaster{link.veth.name, link.veth.master, true});
  }
  for (const auto& link : net.links) {
    if (link.kind == "veth" && !link.veth.inside && link.veth.up)
      plan.push_back(SetUp{link.veth.name, true});
    if (link.up) plan.push_back(SetUp{link.name, false});
  }
  for (const auto& address : net.addresses)
    if (!is_kernel_made(address, net)) plan.push_back(AddAddress{address});
  std::vector<records::NetRoute> routes = net.routes;
  std::stable_sort(routes.begin(), routes.end(),
                   [](const auto& a, const auto& b) { return a.scope > b.scope; });
  for (const auto& route : routes) plan.push_back(AddRoute{route});
  for (const auto& rule : net.rules) plan.push_back(AddRule{rule});
  for (const auto& neighbour : net.neighbours) plan.push_back(AddNeighbour{neighbour});
  for (const auto& neighbour : net.learned_neighbours) plan.push_back(AddNeighbour{neighbour});
  return plan;
}

std::vector<std::string> take_host_up_steps(Plan& plan) {
  std::vector<std::string> names;
  std::erase_if(plan, [&](const Step& step) {
    const auto* up = std::get_if<SetUp>(&step);
    if (!up || !up->host) return false;
    names.push_back(up->link);
    return true;
  });
  return names;
}

HostLinkUndo::~HostLinkUndo() {
  for (auto it = links_.rbegin(); it != links_.rend(); ++it) {
    try {
      nl_->delete_host_link(*it);
    } catch (const std::exception& e) {
      spdlog::warn("undo: cannot remove host link {}: {}", *it, e.what());
    }
  }
}

void apply_plan(const Plan& plan, Netlink& nl, HostLinkUndo& undo) {
  for (const auto& step : plan) {
    spdlog::debug("netns: {}", describe(step));
    std::visit(Overloaded{
                   [&](const CreateLink& s) {
                     nl.create_link(s.link);
                     if (s.link.kind == "veth" && !s.link.veth.inside) undo.add(s.link.veth.name);
                   },
                   [&](const SetMaster& s) {
                     s.host ? nl.set_host_master(s.link, s.master)
                            : nl.set_master(s.link, s.master);
                   },
                   [&](const SetUp& s) { s.host ? nl.set_host_up(s.link) : nl.set_up(s.link); },
                   [&](const AddAddress& s) { nl.add_address(s.address); },
                   [&](const AddRoute& s) { nl.add_route(s.route); },
                   [&](const AddRule& s) { nl.add_rule(s.rule); },
                   [&](const AddNeighbour& s) { nl.add_neighbour(s.neighbour); },
                   [&](const WriteSysctls& s) { nl.write_sysctls(s.sysctls); },
               },
               step);
  }
}

}  // namespace ckpt::netns
