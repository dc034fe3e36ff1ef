#include <linux/neighbour.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/image/archive.h"
#include "common/records/net_json.h"
#include "netns/plan.h"
#include "netns_fake_netlink.h"

using namespace ckpt;
using namespace ckpt::netns;
using ckpt::netns::testing::FakeNetlink;

namespace {

records::NetLink make_link(const std::string& name, const std::string& kind, bool up = true) {
  records::NetLink l;
  l.name = name;
  l.kind = kind;
  l.up = up;
  return l;
}

records::NetLink host_veth(const std::string& name, const std::string& host,
                           const std::string& bridge) {
  auto l = make_link(name, "veth");
  l.mac = "02:00:00:00:00:01";
  l.veth.name = host;
  l.veth.master = bridge;
  l.veth.up = true;
  return l;
}

// A namespace with most of what a container can hold, in dump order.
records::NetNamespace rich_namespace() {
  records::NetNamespace net;
  net.links.push_back(make_link("lo", "loopback"));
  net.links.push_back(host_veth("eth0", "ckhost0", "br-a"));
  auto inner = make_link("br0", "bridge");
  net.links.push_back(inner);
  auto port = host_veth("eth1", "ckhost1", "br-b");
  port.master = "br0";
  net.links.push_back(port);
  auto mv = make_link("mv0", "macvlan");
  mv.macvlan_parent = "uplink";
  net.links.push_back(mv);
  auto vx = make_link("vx0", "vxlan", false);
  vx.vxlan.vni = 42;
  vx.vxlan.parent = "uplink";
  net.links.push_back(vx);

  records::NetAddress a;
  a.link = "eth0";
  a.family = AF_INET;
  a.local = "10.1.0.2";
  a.prefix = 24;
  net.addresses.push_back(a);
  records::NetAddress lo{"lo", AF_INET6, "::1", "", 128, 254, 0x80, 0xffffffff, 0xffffffff, ""};
  net.addresses.push_back(lo);
  records::NetAddress ll = a;  // what the kernel derives from eth0's MAC
  ll.family = AF_INET6;
  ll.local = "fe80::ff:fe00:1";
  ll.prefix = 64;
  net.addresses.push_back(ll);
  records::NetAddress v6 = ll;
  v6.local = "fd00::2";
  net.addresses.push_back(v6);

  records::NetRoute gw;
  gw.family = AF_INET;
  gw.gateway = "10.1.0.1";
  gw.link = "eth0";
  records::NetRoute direct;
  direct.family = AF_INET;
  direct.table = 100;
  direct.dst = "10.9.0.0";
  direct.dst_len = 16;
  direct.link = "eth0";
  direct.scope = 253;  // RT_SCOPE_LINK
  net.routes = {gw, direct};

  records::NetRule rule;
  rule.family = AF_INET;
  rule.priority = 100;
  rule.table = 100;
  net.rules.push_back(rule);
  records::NetNeighbour n{"eth0", AF_INET, "10.1.0.9", "02:00:00:00:00:09", 0x80};
  net.neighbours.push_back(n);
  net.sysctls = {{"ipv4/ip_forward", "1"},
                 {"ipv4/conf/eth0/rp_filter", "2"},
                 {"ipv4/neigh/eth0/gc_stale_time", "77"},
                 {"ipv6/neigh/default/gc_stale_time", "66"},
                 {"ipv6/conf/default/accept_ra", "0"}};
  return net;
}

std::vector<std::string> plan_lines(const records::NetNamespace& net) {
  std::vector<std::string> lines;
  for (const auto& step : build_plan(net)) lines.push_back(describe(step));
  return lines;
}

}  // namespace

TEST_CASE("plan orders links, enslaving, up, addresses, routes, rules, neighbours", "[netns]") {
  std::vector<std::string> want = {
      "sysctls namespace (3)",
      "link loopback lo",
      "link veth eth0 (host ckhost0)",
      "link bridge br0",
      "link veth eth1 (host ckhost1)",
      "link macvlan mv0 (parent uplink)",
      "link vxlan vx0 (vni 42, parent uplink)",
      "sysctls links (2)",
      "host master ckhost0 br-a",
      "master eth1 br0",
      "host master ckhost1 br-b",
      "up lo",
      "host up ckhost0",
      "up eth0",
      "up br0",
      "host up ckhost1",
      "up eth1",
      "up mv0",
      "addr eth0 10.1.0.2/24",
      "addr eth0 fd00::2/64",
      "route table 100 10.9.0.0/16 dev eth0",
      "route table 254 default via 10.1.0.1 dev eth0",
      "rule 100 table 100",
      "neigh eth0 10.1.0.9 02:00:00:00:00:09",
  };
  CHECK(plan_lines(rich_namespace()) == want);
}

TEST_CASE("learned neighbours are added after the permanent ones, as stale", "[netns]") {
  records::NetNamespace net = rich_namespace();
  net.learned_neighbours.push_back({"eth0", AF_INET, "10.1.0.1", "02:00:00:00:00:01", NUD_STALE});
  auto lines = plan_lines(net);
  REQUIRE(lines.size() >= 2);
  CHECK(lines[lines.size() - 2] == "neigh eth0 10.1.0.9 02:00:00:00:00:09");
  CHECK(lines.back() == "neigh eth0 10.1.0.1 02:00:00:00:00:01");
  auto steps = build_plan(net);
  const auto* last = std::get_if<AddNeighbour>(&steps.back());
  REQUIRE(last != nullptr);
  CHECK(last->neighbour.state == NUD_STALE);
}

TEST_CASE("a veth pair with both ends inside is created once", "[netns]") {
  records::NetNamespace net;
  auto a = make_link("va", "veth");
  a.veth.name = "vb";
  a.veth.inside = true;
  auto b = make_link("vb", "veth");
  b.veth.name = "va";
  b.veth.inside = true;
  net.links = {a, b};
  CHECK(plan_lines(net) == std::vector<std::string>{"link veth va (peer vb)", "up va", "up vb"});
}

TEST_CASE("net map renames bridges, parents and host veth names", "[netns]") {
  NetMap map = parse_net_map({"bridge:br-a=br-z", "link:uplink=eth9", "veth:ckhost1=myveth"});
  auto mapped = map_to_host(rich_namespace(), "", map);
  CHECK(mapped.links[1].veth.master == "br-z");
  CHECK(mapped.links[3].veth.master == "br-b");
  CHECK(mapped.links[3].veth.name == "myveth");
  CHECK(mapped.links[4].macvlan_parent == "eth9");
  CHECK(mapped.links[5].vxlan.parent == "eth9");
}

TEST_CASE("host veth names derived from an id follow the new container id", "[netns]") {
  records::NetNamespace net;
  net.links.push_back(host_veth("eth0", host_veth_name("old", 0), "br"));
  net.links.push_back(host_veth("eth1", "custom", "br"));
  auto mapped = map_to_host(net, "new", NetMap{});
  CHECK(mapped.links[0].veth.name == host_veth_name("new", 0));
  CHECK(mapped.links[1].veth.name == "custom");
  CHECK(host_veth_name("new", 0) != host_veth_name("old", 0));
  CHECK(host_veth_name("a-very-long-container-identifier", 12).size() < 16);
}

TEST_CASE("net map parsing rejects bad specs with the spec in the message", "[netns]") {
  CHECK(parse_net_map({}) == NetMap{});
  CHECK_THROWS_WITH(parse_net_map({"bridge:br0"}), Catch::Contains("bridge:br0"));
  CHECK_THROWS_WITH(parse_net_map({"nic:a=b"}), Catch::Contains("unknown kind 'nic'"));
  CHECK_THROWS_WITH(parse_net_map({"br0=br1"}), Catch::Contains("KIND:OLD=NEW"));
  CHECK_THROWS_WITH(parse_net_map({"bridge:a=b", "bridge:a=c"}), Catch::Contains("mapped twice"));
  CHECK_THROWS_WITH(parse_net_map({"veth:a=abcdefghijklmnop"}), Catch::Contains("15"));
}

TEST_CASE("host problems name every missing bridge and parent and taken veth", "[netns]") {
  FakeNetlink nl;
  nl.host_links = {{"br-a", "bridge"}, {"ckhost1", "veth"}, {"uplink", ""}};
  auto problems = host_problems(rich_namespace(), nl);
  CHECK(problems == std::vector<std::string>{"host veth name ckhost1 (for eth1) is taken",
                                             "bridge br-b (for eth1) is missing"});
  nl.host_links = {{"br-a", "bridge"}, {"br-b", ""}};
  problems = host_problems(rich_namespace(), nl);
  CHECK(problems == std::vector<std::string>{"br-b (for eth1) is not a bridge",
                                             "parent link uplink (for mv0) is missing",
                                             "parent link uplink (for vx0) is missing"});
  nl.host_links = {{"br-a", "bridge"}, {"br-b", "bridge"}, {"uplink", ""}};
  CHECK(host_problems(rich_namespace(), nl).empty());
}

TEST_CASE("applying a plan runs every step through the netlink interface", "[netns]") {
  FakeNetlink nl;
  auto shared = std::shared_ptr<Netlink>(&nl, [](Netlink*) {});
  HostLinkUndo undo(shared);
  apply_plan(build_plan(rich_namespace()), nl, undo);
  CHECK(nl.calls.size() == build_plan(rich_namespace()).size());
  CHECK(nl.calls[0] ==
        "sysctls ipv4/ip_forward=1 ipv6/neigh/default/gc_stale_time=66 ipv6/conf/default/accept_ra=0");
  CHECK(nl.calls.back() == "neigh eth0 10.1.0.9");
  CHECK(undo.links() == std::vector<std::string>{"ckhost0", "ckhost1"});
  undo.release();
}

TEST_CASE("a failure half-way removes the host links already made", "[netns]") {
  FakeNetlink nl;
  nl.fail_on = "addr eth0 fd00::2/64";
  auto shared = std::shared_ptr<Netlink>(&nl, [](Netlink*) {});
  {
    HostLinkUndo undo(shared);
    CHECK_THROWS_WITH(apply_plan(build_plan(rich_namespace()), nl, undo),
                      Catch::Contains("addr eth0 fd00::2/64"));
  }
  CHECK(nl.host_links.empty());
  REQUIRE(nl.calls.size() >= 2);
  CHECK(nl.calls[nl.calls.size() - 2] == "delete host ckhost1");
  CHECK(nl.calls.back() == "delete host ckhost0");
}

TEST_CASE("a network record survives the image archive", "[netns]") {
  auto net = rich_namespace();
  auto back = image::from_bytes<records::NetNamespace>(image::to_bytes(net), "net");
  CHECK(back == net);
}

TEST_CASE("a network record reads back from its JSON", "[netns]") {
  auto net = rich_namespace();
  nlohmann::json j = net;
  CHECK(j["links"][1]["veth"]["master"] == "br-a");
  CHECK(j["routes"][0]["gateway"] == "10.1.0.1");
  CHECK(j.get<records::NetNamespace>() == net);
}
