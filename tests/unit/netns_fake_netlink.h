// A Netlink that records every call as a line ("create veth eth0", "host up ck...") and keeps a
// set of host links, so plans are applied and undone without root.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "netns/netlink.h"

namespace ckpt::netns::testing {

class FakeNetlink : public Netlink {
 public:
  std::map<std::string, std::string> host_links;  // name -> kind
  std::vector<std::string> calls;
  std::string fail_on;  // a call line that throws instead

  std::optional<std::string> host_link_kind(const std::string& name) override {
    auto it = host_links.find(name);
    if (it == host_links.end()) return std::nullopt;
    return it->second;
  }
  void create_link(const records::NetLink& link) override {
    record("create " + link.kind + " " + link.name);
    if (link.kind == "veth" && !link.veth.inside) host_links[link.veth.name] = "veth";
  }
  void set_master(const std::string& link, const std::string& master) override {
    record("master " + link + " " + master);
  }
  void set_host_master(const std::string& link, const std::string& bridge) override {
    record("host master " + link + " " + bridge);
  }
  void set_up(const std::string& link) override { record("up " + link); }
  void set_host_up(const std::string& link) override { record("host up " + link); }
  void add_address(const records::NetAddress& a) override {
    record("addr " + a.link + " " + a.local + "/" + std::to_string(a.prefix));
  }
  void add_route(const records::NetRoute& r) override {
    record("route " + std::to_string(r.table) + " " + (r.dst.empty() ? "default" : r.dst) +
           (r.gateway.empty() ? "" : " via " + r.gateway));
  }
  void add_rule(const records::NetRule& r) override {
    record("rule " + std::to_string(r.priority));
  }
  void add_neighbour(const records::NetNeighbour& n) override {
    record("neigh " + n.link + " " + n.dst);
  }
  void write_sysctls(const std::vector<records::NetSysctl>& sysctls) override {
    std::string line = "sysctls";
    for (const auto& s : sysctls) line += " " + s.path + "=" + s.value;
    record(line);
  }
  void delete_host_link(const std::string& name) override {
    record("delete host " + name);
    host_links.erase(name);
  }

 private:
  void record(const std::string& line) {
    if (!fail_on.empty() && line == fail_on) fail("fake netlink: {} failed", line);
    calls.push_back(line);
  }
};

}  // namespace ckpt::netns::testing
