#include "restore/net_conflicts.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/cancel.h"
#include "common/container_state.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/ns/interfaces.h"

namespace ckpt::restore {

namespace {

constexpr int kMaxVeths = 16;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool is_link_local(const std::string& address) {
  return lower(address).starts_with("fe80:");
}

// The bridges the host ends of a container's veths are in (sysfs `master`).
std::set<std::string> bridges_of(const std::string& id) {
  std::set<std::string> out;
  for (int i = 0; i < kMaxVeths; ++i) {
    std::error_code ec;
    auto master = std::filesystem::read_symlink(
        std::filesystem::path("/sys/class/net") / netns::host_veth_name(id, i) / "master", ec);
    if (!ec) out.insert(master.filename().string());
  }
  return out;
}

// The addresses (but link-local ones) and MACs of the interfaces of the netns of `pid`.
NetIdentity identity_of(pid_t pid) {
  NetIdentity identity;
  for (const auto& i : ns::interfaces_of(pid)) {
    if (!i.mac.empty()) identity.macs.insert(i.mac);
    for (const auto& a : i.addresses)
      if (!is_link_local(a.address)) identity.addresses.insert(a.address);
  }
  return identity;
}

// The container-side interfaces of `net` in host bridges: link name -> bridge (after `map`).
std::map<std::string, std::string> bridged_links(const records::NetNamespace& net,
                                                 const netns::NetMap& map) {
  std::map<std::string, std::string> out;
  for (const auto& link : net.links) {
    if (link.kind != "veth" || link.veth.inside || link.veth.master.empty()) continue;
    auto renamed = map.bridges.find(link.veth.master);
    out[link.name] = renamed == map.bridges.end() ? link.veth.master : renamed->second;
  }
  return out;
}

// Drops the addresses of `link` and the routes through it.
void drop_addresses(records::NetNamespace& net, const std::string& link) {
  std::erase_if(net.addresses, [&](const auto& a) { return a.link == link; });
  std::erase_if(net.routes, [&](const auto& r) { return r.link == link; });
}

// A new MAC for `link`: none recorded (the kernel picks one), and its old link-local addresses
// (made from the old MAC) dropped.
void drop_mac(records::NetNamespace& net, const std::string& link) {
  for (auto& l : net.links)
    if (l.name == link) l.mac.clear();
  std::erase_if(net.addresses,
                [&](const auto& a) { return a.link == link && is_link_local(a.local); });
}

}  // namespace

BridgeUsers running_containers_on_bridges() {
  BridgeUsers users;
  for (const auto& id : ContainerState::list_ids()) {
    try {
      auto state = ContainerState::load(id);
      if (!state.init_alive()) continue;
      auto bridges = bridges_of(id);
      if (bridges.empty()) continue;
      NetIdentity identity = identity_of(state.init_pid);
      for (const auto& bridge : bridges) users[bridge][id] = identity;
    } catch (const Error& e) {
      spdlog::debug("container {}: addresses not read: {}", id, e.what());
    }
  }
  return users;
}

void resolve_net_conflicts(records::NetNamespace& net, const netns::NetMap& map,
                           const BridgeUsers& users, const ConflictPolicy& policy) {
  std::vector<std::string> clashes;
  for (const auto& [link, bridge] : bridged_links(net, map)) {
    auto on_bridge = users.find(bridge);
    if (on_bridge == users.end()) continue;
    bool ip_clash = false, mac_clash = false;
    for (const auto& [id, identity] : on_bridge->second) {
      for (const auto& l : net.links)
        if (l.name == link && !l.mac.empty() && identity.macs.count(lower(l.mac))) {
          mac_clash = true;
          if (!policy.ignore_mac)
            clashes.push_back(
                fmt::format("{} MAC {} is {}'s on bridge {}", link, l.mac, id, bridge));
        }
      for (const auto& a : net.addresses)
        if (a.link == link && identity.addresses.count(a.local)) {
          ip_clash = true;
          if (!policy.ignore_ip)
            clashes.push_back(
                fmt::format("{} address {} is {}'s on bridge {}", link, a.local, id, bridge));
        }
    }
    if (ip_clash && policy.ignore_ip) drop_addresses(net, link);
    if (mac_clash && policy.ignore_mac) drop_mac(net, link);
  }
  if (clashes.empty()) return;
  fail(ErrorKind::kRefused,
       "{} (restore with --ignore-static-ip / --ignore-static-mac, or onto another bridge "
       "with --net-map)",
       fmt::join(clashes, "; "));
}

std::string wait_for_no_net_conflict(const records::NetNamespace& net, const netns::NetMap& map,
                                     std::chrono::milliseconds bound) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    records::NetNamespace checked = net;  // the policy is applied already: none now
    try {
      resolve_net_conflicts(checked, map, running_containers_on_bridges(), {});
      return "";
    } catch (const Error& e) {
      if (std::chrono::steady_clock::now() >= deadline) return e.what();
    }
    throw_if_cancelled();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace ckpt::restore
