#include <catch2/catch.hpp>

#include "common/cgroup/container_cgroup.h"
#include "common/cgroup/hierarchy.h"
#include "common/cgroup/limits.h"
#include "common/error.h"
#include "common/fs.h"

using namespace ckpt;
using namespace ckpt::cgroup;

namespace {

const std::filesystem::path kFixtures(CKPT_FIXTURES);

Hierarchies fixture_v1() {
  Hierarchies h;
  for (const char* c : {"memory", "cpu", "cpuset", "pids"})
    h.v1.push_back({kFixtures / "cgroupfs" / c, {c}, false});
  return h;
}

Hierarchy fixture_v2() {
  return {kFixtures / "cgroupfs" / "unified", {"memory", "pids", "cpu"}, true};
}

}  // namespace

TEST_CASE("mountinfo of a hybrid host: v1 controllers we use, and the cgroup2 tree") {
  auto h = parse_hierarchies(fs::read_file(kFixtures / "mountinfo.hybrid"), "/nonexistent");
  REQUIRE(h.uses_v1());
  std::vector<std::string> names;
  for (const auto& x : h.v1) names.push_back(x.name());
  CHECK(names == std::vector<std::string>{"cpu", "cpuacct", "cpuset", "memory", "freezer", "pids"});
  REQUIRE(h.find("memory"));
  CHECK(h.find("memory")->mount == "/sys/fs/cgroup/memory");
  CHECK(h.find("devices") == nullptr);  // not one ckpt manages
  REQUIRE(h.v2);
  CHECK(h.v2->mount == "/sys/fs/cgroup/unified");
  CHECK(h.all().size() == 7);
}

TEST_CASE("mountinfo of a cgroup2-only host") {
  auto h = parse_hierarchies(fs::read_file(kFixtures / "mountinfo.v2only"), "/nonexistent");
  CHECK_FALSE(h.uses_v1());
  REQUIRE(h.v2);
  CHECK(h.v2->mount == "/sys/fs/cgroup");
}

TEST_CASE("v1 limits are read per controller; unlimited values read as unset") {
  auto l = read_limits(fixture_v1(), "ckpt/web");
  CHECK(l.memory_limit == 268435456);
  CHECK_FALSE(l.memory_soft_limit);
  CHECK_FALSE(l.memory_swap_limit);
  CHECK(l.memory_swappiness == 60);
  CHECK(l.cpu_shares == 512);
  CHECK_FALSE(l.cpu_quota_us);
  CHECK(l.cpu_period_us == 100000);
  CHECK(l.cpuset_cpus == "0");
  CHECK(l.pids_max == 64);
  CHECK_FALSE(l.io_weight);
}

TEST_CASE("a nested cgroup has limits of its own") {
  auto l = read_limits(fixture_v1(), "ckpt/web/child");
  CHECK(l.memory_limit == 67108864);
  CHECK(l.memory_swappiness == 30);
  CHECK_FALSE(l.pids_max);
}

TEST_CASE("subtree lists the container's cgroup and its nested ones, parents first") {
  auto h = fixture_v1();
  ContainerCgroup cg(h, "ckpt/web");
  CHECK(cg.subtree() == std::vector<std::string>{"", "child"});
  CHECK(cg.procs_in(h.v1[0], "") == std::vector<pid_t>{7, 9});
  CHECK(cg.all_procs() == std::vector<pid_t>{7, 9});
}

TEST_CASE("v2 limits: memory.max, cpu.max, cpu.weight converted to shares, max as unset") {
  auto l = detail::read_limits_v2(fixture_v2(), "ckpt/web");
  CHECK(l.memory_limit == 268435456);
  CHECK_FALSE(l.memory_swap_limit);
  CHECK(l.cpu_quota_us == 50000);
  CHECK(l.cpu_period_us == 100000);
  CHECK(l.cpu_shares == detail::weight_to_shares(20));
  CHECK_FALSE(l.pids_max);
  CHECK_FALSE(l.cpuset_cpus);
}

TEST_CASE("shares and weight convert at the ends of their ranges") {
  CHECK(detail::shares_to_weight(2) == 1);
  CHECK(detail::shares_to_weight(262144) == 10000);
  CHECK(detail::shares_to_weight(1024) == 39);
  CHECK(detail::weight_to_shares(1) == 2);
  CHECK(detail::weight_to_shares(10000) == 262144);
}

TEST_CASE("writing a limit whose controller is missing names the limit") {
  Hierarchies h;
  h.v1.push_back({kFixtures / "cgroupfs" / "memory", {"memory"}, false});
  records::CgroupLimits l;
  l.pids_max = 10;
  CHECK_THROWS_WITH(write_limits(h, "ckpt/web", l), Catch::Contains("pids.max"));
}
