#include <netinet/in.h>

#include <catch2/catch.hpp>

#include "restore/groundwork.h"

using ckpt::records::GroundworkRecords;
using ckpt::restore::groundwork_change;

namespace {

GroundworkRecords records_of_a_running_container() {
  GroundworkRecords r;
  r.config.id = "web";
  r.config.command = {"python3", "-m", "http.server"};
  r.cgroups.dumped_on = "v2";
  ckpt::records::CgroupNode root;
  root.limits.pids_max = 64;
  root.members["unified"] = {1, 7};
  r.cgroups.nodes.push_back(root);
  r.net.emplace();
  ckpt::records::NetLink eth0;
  eth0.name = "eth0";
  eth0.kind = "veth";
  eth0.mtu = 1500;
  eth0.up = true;
  eth0.mac = "aa:bb:cc:dd:ee:ff";
  r.net->links.push_back(eth0);
  ckpt::records::NetAddress link_local;
  link_local.link = "eth0";
  link_local.family = AF_INET6;
  link_local.local = "fe80::a8bb:ccff:fedd:eeff";
  link_local.prefix = 64;
  link_local.flags = 0xc0;  // IFA_F_PERMANENT | IFA_F_TENTATIVE: its DAD still runs
  r.net->addresses.push_back(link_local);
  r.net->sysctls.push_back({"ipv4/ip_forward", "0"});
  return r;
}

}  // namespace

TEST_CASE("prebuilt groundwork is kept when what it was made from did not change",
          "[groundwork]") {
  auto early = records_of_a_running_container();
  auto final_image = early;
  CHECK(groundwork_change(early, final_image).empty());
  SECTION("processes moving between cgroups do not count") {
    final_image.cgroups.nodes[0].members["unified"].push_back(9);
    CHECK(groundwork_change(early, final_image).empty());
  }
  SECTION("nor does the kernel's own link-local address finishing its DAD") {
    final_image.net->addresses[0].flags = 0x80;
    CHECK(groundwork_change(early, final_image).empty());
  }
  SECTION("an address added does") {
    auto address = final_image.net->addresses[0];
    address.local = "fd00::2";
    final_image.net->addresses.push_back(address);
    CHECK(groundwork_change(early, final_image) ==
          "its network addresses (fd00::2/64 on eth0, flags 0xc0)");
  }
  SECTION("a changed limit does") {
    final_image.cgroups.nodes[0].limits.pids_max = 128;
    CHECK(groundwork_change(early, final_image) == "its cgroups");
  }
  SECTION("a new nested cgroup does") {
    ckpt::records::CgroupNode worker;
    worker.path = "worker";
    final_image.cgroups.nodes.push_back(worker);
    CHECK_FALSE(groundwork_change(early, final_image).empty());
  }
  SECTION("a changed sysctl does") {
    final_image.net->sysctls[0].value = "1";
    CHECK(groundwork_change(early, final_image) == "its network sysctls (net/ipv4/ip_forward = 1)");
  }
  SECTION("a link brought down does") {
    final_image.net->links[0].up = false;
    CHECK_FALSE(groundwork_change(early, final_image).empty());
  }
  SECTION("so does a changed configuration") {
    final_image.config.hostname = "other";
    CHECK_FALSE(groundwork_change(early, final_image).empty());
  }
}
