#include "common/records/net_inspect_json.h"

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <string>

namespace ckpt::records {

namespace {

using nlohmann::json;

std::string family_name(int family) {
  return family == AF_INET ? "inet" : family == AF_INET6 ? "inet6" : std::to_string(family);
}

std::string scope_name(uint8_t scope) {
  switch (scope) {
    case RT_SCOPE_UNIVERSE:
      return "global";
    case RT_SCOPE_SITE:
      return "site";
    case RT_SCOPE_LINK:
      return "link";
    case RT_SCOPE_HOST:
      return "host";
    case RT_SCOPE_NOWHERE:
      return "nowhere";
  }
  return std::to_string(scope);
}

json address_flags(uint32_t flags) {
  constexpr std::pair<uint32_t, const char*> kFlags[] = {
      {IFA_F_SECONDARY, "secondary"},       {IFA_F_NODAD, "nodad"},
      {IFA_F_OPTIMISTIC, "optimistic"},     {IFA_F_DADFAILED, "dadfailed"},
      {IFA_F_HOMEADDRESS, "homeaddress"},   {IFA_F_DEPRECATED, "deprecated"},
      {IFA_F_TENTATIVE, "tentative"},       {IFA_F_PERMANENT, "permanent"},
      {IFA_F_MANAGETEMPADDR, "mngtmpaddr"}, {IFA_F_NOPREFIXROUTE, "noprefixroute"},
      {IFA_F_MCAUTOJOIN, "autojoin"},       {IFA_F_STABLE_PRIVACY, "stable-privacy"}};
  json out = json::array();
  for (const auto& [bit, name] : kFlags)
    if (flags & bit) out.push_back(name);
  return out;
}

std::string protocol_name(uint8_t protocol) {
  switch (protocol) {
    case RTPROT_UNSPEC:
      return "unspec";
    case RTPROT_REDIRECT:
      return "redirect";
    case RTPROT_KERNEL:
      return "kernel";
    case RTPROT_BOOT:
      return "boot";
    case RTPROT_STATIC:
      return "static";
    case RTPROT_RA:
      return "ra";
    case RTPROT_DHCP:
      return "dhcp";
  }
  return std::to_string(protocol);
}

std::string route_type(uint8_t type) {
  switch (type) {
    case RTN_UNICAST:
      return "unicast";
    case RTN_LOCAL:
      return "local";
    case RTN_BROADCAST:
      return "broadcast";
    case RTN_ANYCAST:
      return "anycast";
    case RTN_MULTICAST:
      return "multicast";
    case RTN_BLACKHOLE:
      return "blackhole";
    case RTN_UNREACHABLE:
      return "unreachable";
    case RTN_PROHIBIT:
      return "prohibit";
    case RTN_THROW:
      return "throw";
  }
  return std::to_string(type);
}

std::string table_name(uint32_t table) {
  switch (table) {
    case RT_TABLE_MAIN:
      return "main";
    case RT_TABLE_LOCAL:
      return "local";
    case RT_TABLE_DEFAULT:
      return "default";
  }
  return std::to_string(table);
}

std::string macvlan_mode(uint32_t mode) {
  switch (mode) {
    case MACVLAN_MODE_PRIVATE:
      return "private";
    case MACVLAN_MODE_VEPA:
      return "vepa";
    case MACVLAN_MODE_BRIDGE:
      return "bridge";
    case MACVLAN_MODE_PASSTHRU:
      return "passthru";
    case MACVLAN_MODE_SOURCE:
      return "source";
  }
  return std::to_string(mode);
}

json link_json(const NetLink& l) {
  json j = {{"name", l.name}, {"kind", l.kind}, {"mtu", l.mtu}, {"up", l.up}};
  if (!l.mac.empty()) j["mac"] = l.mac;
  if (!l.master.empty()) j["master"] = l.master;
  if (l.kind == "veth")
    j["veth"] = {{"name", l.veth.name}, {"master", l.veth.master}, {"mtu", l.veth.mtu},
                 {"mac", l.veth.mac},   {"up", l.veth.up},         {"inside", l.veth.inside}};
  if (l.kind == "bridge")
    j["bridge"] = {{"stp_state", l.bridge.stp_state},
                   {"ageing_time", l.bridge.ageing_time},
                   {"forward_delay", l.bridge.forward_delay},
                   {"priority", l.bridge.priority}};
  if (l.kind == "macvlan")
    j["macvlan"] = {{"mode", macvlan_mode(l.macvlan_mode)}, {"parent", l.macvlan_parent}};
  if (l.kind == "vxlan")
    j["vxlan"] = {{"vni", l.vxlan.vni},      {"remote", l.vxlan.remote}, {"group", l.vxlan.group},
                  {"local", l.vxlan.local},  {"port", l.vxlan.port},     {"ttl", l.vxlan.ttl},
                  {"parent", l.vxlan.parent}};
  if (l.kind == "tun")
    j["tun"] = {{"tap", l.tun.tap}, {"owner", l.tun.owner}, {"group", l.tun.group}};
  return j;
}

json address_json(const NetAddress& a) {
  json j = {
      {"link", a.link},     {"family", family_name(a.family)}, {"local", a.local},
      {"prefix", a.prefix}, {"scope", scope_name(a.scope)},    {"flags", address_flags(a.flags)}};
  if (!a.peer.empty()) j["peer"] = a.peer;
  if (!a.label.empty()) j["label"] = a.label;
  if (a.valid_lifetime != 0xffffffff) j["valid_lifetime"] = a.valid_lifetime;
  if (a.preferred_lifetime != 0xffffffff) j["preferred_lifetime"] = a.preferred_lifetime;
  return j;
}

json route_json(const NetRoute& r) {
  json j = {{"family", family_name(r.family)},
            {"table", table_name(r.table)},
            {"dst", r.dst.empty() ? "default" : r.dst + "/" + std::to_string(r.dst_len)},
            {"scope", scope_name(r.scope)},
            {"protocol", protocol_name(r.protocol)},
            {"type", route_type(r.type)}};
  if (!r.gateway.empty()) j["gateway"] = r.gateway;
  if (!r.link.empty()) j["link"] = r.link;
  if (!r.prefsrc.empty()) j["prefsrc"] = r.prefsrc;
  if (r.priority) j["metric"] = r.priority;
  if (r.flags & RTNH_F_ONLINK) j["onlink"] = true;
  return j;
}

json rule_json(const NetRule& r) {
  json j = {
      {"family", family_name(r.family)}, {"priority", r.priority}, {"table", table_name(r.table)}};
  if (!r.src.empty()) j["src"] = r.src + "/" + std::to_string(r.src_len);
  if (!r.dst.empty()) j["dst"] = r.dst + "/" + std::to_string(r.dst_len);
  if (!r.iif.empty()) j["iif"] = r.iif;
  if (!r.oif.empty()) j["oif"] = r.oif;
  if (r.fwmark || r.fwmask) j["fwmark"] = r.fwmark, j["fwmask"] = r.fwmask;
  return j;
}

}  // namespace

json inspect_json(const NetNamespace& net) {
  json links = json::array(), addresses = json::array(), routes = json::array(),
       rules = json::array(), neighbours = json::array(), sysctls = json::object();
  for (const auto& l : net.links) links.push_back(link_json(l));
  for (const auto& a : net.addresses) addresses.push_back(address_json(a));
  for (const auto& r : net.routes) routes.push_back(route_json(r));
  for (const auto& r : net.rules) rules.push_back(rule_json(r));
  auto neighbour_json = [](const NetNeighbour& n) {
    return json{{"link", n.link}, {"family", family_name(n.family)}, {"dst", n.dst},
                {"lladdr", n.lladdr}};
  };
  json learned = json::array();
  for (const auto& n : net.neighbours) neighbours.push_back(neighbour_json(n));
  for (const auto& n : net.learned_neighbours) learned.push_back(neighbour_json(n));
  for (const auto& s : net.sysctls) sysctls[s.path] = s.value;
  return {{"links", links},
          {"addresses", addresses},
          {"routes", routes},
          {"rules", rules},
          {"neighbours", neighbours},
          {"learned_neighbours", learned},
          {"sysctls", sysctls}};
}

}  // namespace ckpt::records
