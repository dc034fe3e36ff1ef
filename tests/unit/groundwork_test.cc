#include <catch2/catch.hpp>

#include "restore/groundwork.h"

using ckpt::records::GroundworkRecords;
using ckpt::restore::same_groundwork;

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
  r.net->links.push_back(eth0);
  r.net->sysctls.push_back({"ipv4/ip_forward", "0"});
  return r;
}

}  // namespace

TEST_CASE("prebuilt groundwork is kept when what it was made from did not change",
          "[groundwork]") {
  auto early = records_of_a_running_container();
  auto final_image = early;
  CHECK(same_groundwork(early, final_image));
  SECTION("processes moving between cgroups do not count") {
    final_image.cgroups.nodes[0].members["unified"].push_back(9);
    CHECK(same_groundwork(early, final_image));
  }
  SECTION("a changed limit does") {
    final_image.cgroups.nodes[0].limits.pids_max = 128;
    CHECK_FALSE(same_groundwork(early, final_image));
  }
  SECTION("a new nested cgroup does") {
    ckpt::records::CgroupNode worker;
    worker.path = "worker";
    final_image.cgroups.nodes.push_back(worker);
    CHECK_FALSE(same_groundwork(early, final_image));
  }
  SECTION("a changed sysctl does") {
    final_image.net->sysctls[0].value = "1";
    CHECK_FALSE(same_groundwork(early, final_image));
  }
  SECTION("a link brought down does") {
    final_image.net->links[0].up = false;
    CHECK_FALSE(same_groundwork(early, final_image));
  }
  SECTION("so does a changed configuration") {
    final_image.config.hostname = "other";
    CHECK_FALSE(same_groundwork(early, final_image));
  }
}
