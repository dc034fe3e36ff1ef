// The network lock of TCP connections as far as it is plain logic: which host links hold a
// container's traffic, a restore plan that leaves them down, and how connections are named in
// messages.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>

#include "common/sockaddr_text.h"
#include "netns/host_link_lock.h"
#include "netns/plan.h"
#include "netns_fake_netlink.h"

using namespace ckpt;

namespace {

records::NetLink veth(const std::string& name, const std::string& peer, bool inside) {
  records::NetLink l;
  l.name = name;
  l.kind = "veth";
  l.up = true;
  l.veth.name = peer;
  l.veth.master = inside ? "" : "br0";
  l.veth.up = true;
  l.veth.inside = inside;
  return l;
}

records::NetNamespace two_veths_and_an_inside_pair() {
  records::NetNamespace net;
  records::NetLink lo;
  lo.name = "lo";
  lo.kind = "loopback";
  lo.up = true;
  net.links.push_back(lo);
  net.links.push_back(veth("eth0", "ckhost0", false));
  net.links.push_back(veth("eth1", "ckhost1", false));
  net.links.push_back(veth("in0", "in1", true));
  net.links.push_back(veth("in1", "in0", true));
  return net;
}

std::string v4(const char* ip, int port) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip, &in.sin_addr);
  return std::string(reinterpret_cast<const char*>(&in), sizeof in);
}

std::string v6(const char* ip, int port) {
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET6, ip, &in6.sin6_addr);
  return std::string(reinterpret_cast<const char*>(&in6), sizeof in6);
}

}  // namespace

TEST_CASE("the lock holds the host end of every veth that leaves the container") {
  auto names = netns::host_veth_ends(two_veths_and_an_inside_pair());
  CHECK(names == std::vector<std::string>{"ckhost0", "ckhost1"});
}

TEST_CASE("a restore plan holding the host links down never brings them up, and says which") {
  netns::Plan plan = netns::build_plan(two_veths_and_an_inside_pair());
  auto held = netns::take_host_up_steps(plan);
  CHECK(held == std::vector<std::string>{"ckhost0", "ckhost1"});

  netns::testing::FakeNetlink nl;
  netns::HostLinkUndo undo(std::shared_ptr<netns::Netlink>(&nl, [](netns::Netlink*) {}));
  netns::apply_plan(plan, nl, undo);
  undo.release();
  for (const auto& call : nl.calls) CHECK(call.rfind("host up", 0) != 0);
  // The container side still comes up: only the host ends carry the lock.
  CHECK(std::count(nl.calls.begin(), nl.calls.end(), "up eth0") == 1);
}

TEST_CASE("connections are named by their addresses in messages") {
  CHECK(describe_sockaddr(v4("10.77.1.2", 6379)) == "10.77.1.2:6379");
  CHECK(describe_sockaddr(v6("::1", 80)) == "[::1]:80");
  CHECK(describe_sockaddr(v6("::ffff:10.0.0.1", 443)) == "[::ffff:10.0.0.1]:443");
  CHECK(describe_sockaddr("") == "?");
  CHECK(describe_sockaddr(v4("10.0.0.1", 1).substr(0, 4)) == "?");
}
