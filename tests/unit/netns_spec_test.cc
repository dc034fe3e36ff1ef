#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "netns/net_spec.h"
#include "netns/netns.h"
#include "netns/plan.h"

using namespace ckpt;
using namespace ckpt::netns;

TEST_CASE("a full --net spec parses", "[netns]") {
  NetSpec s = parse_net_spec(
      "bridge=br-test,ip=10.77.0.2/24,gw=10.77.0.1,mac=02:aa:bb:cc:dd:ee,"
      "mtu=1400,name=veth9");
  CHECK(s.bridge == "br-test");
  CHECK(s.address == "10.77.0.2");
  CHECK(s.prefix == 24);
  CHECK(s.family == AF_INET);
  CHECK(s.gateway == "10.77.0.1");
  CHECK(s.mac == "02:aa:bb:cc:dd:ee");
  CHECK(s.mtu == 1400);
  CHECK(s.name == "veth9");
  CHECK(parse_net_spec("bridge=b,ip=fd00::2/64,gw=fd00::1").family == AF_INET6);
}

TEST_CASE("bad --net specs fail with one line naming the problem", "[netns]") {
  CHECK_THROWS_WITH(parse_net_spec("ip=10.0.0.2/24"), Catch::Contains("bridge=BR is required"));
  CHECK_THROWS_WITH(parse_net_spec("bridge=b,ip=10.0.0.2"), Catch::Contains("needs a /prefix"));
  CHECK_THROWS_WITH(parse_net_spec("bridge=b,ip=10.0.0.2/33"), Catch::Contains("up to 32"));
  CHECK_THROWS_WITH(parse_net_spec("bridge=b,ip=10.0.0.300/24"), Catch::Contains("not an IPv4"));
  CHECK_THROWS_WITH(parse_net_spec("bridge=b,gw=10.0.0.1"), Catch::Contains("gw needs ip"));
  CHECK_THROWS_WITH(parse_net_spec("bridge=b,ip=10.0.0.2/24,gw=fd00::1"),
                    Catch::Contains("not of the family"));
  CHECK_THROWS_WITH(parse_net_spec("bridge=b,mac=02:aa"), Catch::Contains("mac=02:aa"));
  CHECK_THROWS_WITH(parse_net_spec("bridge=b,mtu=9x"), Catch::Contains("mtu=9x"));
  CHECK_THROWS_WITH(parse_net_spec("bridge=b,mtu=10"), Catch::Contains("below 68"));
  CHECK_THROWS_WITH(parse_net_spec("bridge=b,color=red"), Catch::Contains("unknown key 'color'"));
  CHECK_THROWS_WITH(parse_net_spec("bridge=b,ip"), Catch::Contains("'ip' is not KEY=VALUE"));
  CHECK_THROWS_WITH(parse_net_spec("bridge=averyveryverylongbridge"), Catch::Contains("too long"));
  CHECK_THROWS_WITH(parse_net_spec("bridge="), Catch::Contains("bridge has no value"));
}

TEST_CASE("--net none gives only lo, up", "[netns]") {
  auto net = network_from_specs("c1", {"none"});
  REQUIRE(net.links.size() == 1);
  CHECK(net.links[0].name == "lo");
  CHECK(net.links[0].up);
  CHECK(network_from_specs("c1", {}).links.size() == 1);
  CHECK_THROWS_WITH(network_from_specs("c1", {"none", "bridge=b"}),
                    Catch::Contains("cannot be combined"));
}

TEST_CASE("--net specs become veths into bridges with addresses and default routes", "[netns]") {
  auto net = network_from_specs(
      "c1", {"bridge=br-a,ip=10.77.0.2/24,gw=10.77.0.1", "bridge=br-b,name=data,mtu=9000"});
  REQUIRE(net.links.size() == 3);
  CHECK(net.links[1].name == "eth0");
  CHECK(net.links[1].veth.name == host_veth_name("c1", 0));
  CHECK(net.links[1].veth.master == "br-a");
  CHECK(net.links[2].name == "data");
  CHECK(net.links[2].mtu == 9000);
  CHECK(net.links[2].veth.mtu == 9000);
  CHECK(net.links[2].veth.name == host_veth_name("c1", 1));
  REQUIRE(net.addresses.size() == 1);
  CHECK(net.addresses[0].local == "10.77.0.2");
  REQUIRE(net.routes.size() == 1);
  CHECK(net.routes[0].gateway == "10.77.0.1");
  CHECK(net.routes[0].link == "eth0");

  std::vector<std::string> lines;
  for (const auto& step : build_plan(net)) lines.push_back(describe(step));
  CHECK(lines == std::vector<std::string>{
                     "link loopback lo", "link veth eth0 (host " + host_veth_name("c1", 0) + ")",
                     "link veth data (host " + host_veth_name("c1", 1) + ")",
                     "host master " + host_veth_name("c1", 0) + " br-a",
                     "host master " + host_veth_name("c1", 1) + " br-b", "up lo",
                     "host up " + host_veth_name("c1", 0), "up eth0",
                     "host up " + host_veth_name("c1", 1), "up data", "addr eth0 10.77.0.2/24",
                     "route table 254 default via 10.77.0.1 dev eth0"});
  CHECK_THROWS_WITH(network_from_specs("c1", {"bridge=a,name=x", "bridge=b,name=x"}),
                    Catch::Contains("given twice"));
}
