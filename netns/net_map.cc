#include <arpa/inet.h>
#include <fmt/ranges.h>

#include <set>

#include "common/error.h"
#include "common/error_kind.h"
#include "netns/net_map_use.h"
#include "netns/netns.h"
#include "netns/plan.h"

namespace ckpt::netns {

namespace {

std::string describe_used(const std::set<std::string>& bridges, const std::set<std::string>& links,
                          const std::set<std::string>& veths) {
  std::vector<std::string> out;
  for (const auto& b : bridges) out.push_back("bridge " + b);
  for (const auto& l : links) out.push_back("link " + l);
  for (const auto& v : veths) out.push_back("veth " + v);
  return out.empty() ? "no host network object" : fmt::format("{}", fmt::join(out, ", "));
}

void add_rename(std::map<std::string, std::string>& renames, const std::string& spec,
                const std::string& pair) {
  auto eq = pair.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size())
    fail(ErrorKind::kUsage, "--net-map {}: expected KIND:OLD=NEW", spec);
  std::string from = pair.substr(0, eq);
  std::string to = pair.substr(eq + 1);
  if (to.size() >= 16)
    fail(ErrorKind::kUsage, "--net-map {}: name {} is longer than 15 characters", spec, to);
  if (!renames.emplace(from, to).second)
    fail(ErrorKind::kUsage, "--net-map {}: {} is mapped twice", spec, from);
}

}  // namespace

NetMap parse_net_map(const std::vector<std::string>& specs) {
  NetMap map;
  for (const auto& spec : specs) {
    auto colon = spec.find(':');
    std::string kind = spec.substr(0, colon);
    if (colon == std::string::npos)
      fail(ErrorKind::kUsage, "--net-map {}: expected KIND:OLD=NEW", spec);
    std::string pair = spec.substr(colon + 1);
    if (kind == "bridge")
      add_rename(map.bridges, spec, pair);
    else if (kind == "link")
      add_rename(map.links, spec, pair);
    else if (kind == "veth")
      add_rename(map.veths, spec, pair);
    else
      fail(ErrorKind::kUsage, "--net-map {}: unknown kind '{}' (bridge, link, veth or ip)", spec,
           kind);
  }
  return map;
}

std::vector<std::string> apply_address_map(records::NetNamespace& net,
                                           const std::vector<std::string>& specs) {
  std::vector<std::string> rest;
  for (const auto& spec : specs) {
    if (!spec.starts_with("ip:")) {
      rest.push_back(spec);
      continue;
    }
    auto eq = spec.find('=');
    if (eq == std::string::npos) fail(ErrorKind::kUsage, "--net-map {}: expected ip:OLD=NEW", spec);
    std::string from = spec.substr(3, eq - 3), to = spec.substr(eq + 1);
    unsigned char buf[16];
    bool found = false;
    for (auto& a : net.addresses) {
      if (a.local != from) continue;
      if (::inet_pton(a.family, to.c_str(), buf) != 1)
        fail(ErrorKind::kUsage, "--net-map {}: {} is not an address of {}'s family", spec, to,
             from);
      a.local = to;
      found = true;
    }
    if (!found)
      fail(ErrorKind::kUsage, "--net-map {}: the container has no address {}", spec, from);
    for (auto& r : net.routes)
      if (r.prefsrc == from) r.prefsrc = to;
  }
  return rest;
}

void refuse_unused_net_map(const records::NetNamespace& net, const std::string& container_id,
                           const NetMap& map) {
  std::set<std::string> bridges, links, veths;
  for (const auto& link : map_to_host(net, container_id, {}).links)
    if (link.kind == "veth" && !link.veth.inside) veths.insert(link.veth.name);
  for (const auto& link : net.links) {
    if (link.kind == "veth" && !link.veth.inside) {
      veths.insert(link.veth.name);
      if (!link.veth.master.empty()) bridges.insert(link.veth.master);
    }
    if (link.kind == "macvlan") links.insert(link.macvlan_parent);
    if (link.kind == "vxlan" && !link.vxlan.parent.empty()) links.insert(link.vxlan.parent);
  }
  std::vector<std::string> unused;
  auto check = [&](const char* kind, const auto& renames, const std::set<std::string>& used) {
    for (const auto& [from, to] : renames)
      if (!used.count(from)) unused.push_back(fmt::format("{}:{}={}", kind, from, to));
  };
  check("bridge", map.bridges, bridges);
  check("link", map.links, links);
  check("veth", map.veths, veths);
  if (unused.empty()) return;
  fail(ErrorKind::kUsage, "--net-map {}: the image uses no such {} (it uses: {})",
       fmt::join(unused, ", "), unused.size() == 1 ? "name" : "names",
       describe_used(bridges, links, veths));
}

}  // namespace ckpt::netns
