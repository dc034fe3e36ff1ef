#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/fork_order.h"

using namespace ckpt;

namespace {

records::ProcessEntry proc(int32_t pid, int32_t ppid, int32_t pgid, int32_t sid,
                           bool zombie = false) {
  records::ProcessEntry e;
  e.pid = pid;
  e.ppid = ppid;
  e.pgid = pgid;
  e.sid = sid;
  e.zombie = zombie;
  return e;
}

records::ProcessTree tree(std::vector<records::ProcessEntry> processes) {
  records::ProcessTree t;
  t.processes = std::move(processes);
  return t;
}

}  // namespace

TEST_CASE("a plain tree is forked by its parents, without helpers") {
  auto order = plan_fork_order(tree({proc(1, 0, 1, 1), proc(2, 1, 1, 1), proc(3, 2, 3, 1)}), {});
  CHECK(order.helpers.empty());
  CHECK(order.forker == std::vector<int32_t>{0, 1, 2});
}

TEST_CASE("members of a session whose leader exited are forked by a helper taking its pid") {
  // 5 made a session, forked 6 (its group) and 7 (own group), exited: both are init's now.
  auto order = plan_fork_order(
      tree({proc(1, 0, 1, 1), proc(6, 1, 5, 5), proc(7, 1, 7, 5)}), {});
  REQUIRE(order.helpers.size() == 1);
  CHECK(order.helpers[0].pid == 5);
  CHECK(order.helpers[0].sid == 5);
  CHECK(order.helpers[0].ppid == 1);
  CHECK(order.forker == std::vector<int32_t>{0, 5, 5, 1});
}

TEST_CASE("a zombie session leader forks its session's reparented members") {
  auto order = plan_fork_order(
      tree({proc(1, 0, 1, 1), proc(5, 1, 5, 5, true), proc(6, 1, 5, 5)}), {});
  CHECK(order.helpers.empty());
  CHECK(order.forker == std::vector<int32_t>{0, 1, 5});
}

TEST_CASE("a group whose leader is gone gets a helper in its session") {
  // 4 made its own group, forked 8 and exited.
  auto order = plan_fork_order(tree({proc(1, 0, 1, 1), proc(8, 1, 4, 1)}), {});
  REQUIRE(order.helpers.size() == 1);
  CHECK(order.helpers[0].pid == 4);
  CHECK(order.helpers[0].sid == 1);
  CHECK(order.forker == std::vector<int32_t>{0, 1, 1});
}

TEST_CASE("an orphan lands on the nearest child subreaper, or the plan is refused") {
  // 3 is a subreaper below init; 5's session leader is gone and 9 was reparented to 3.
  auto processes = std::vector{proc(1, 0, 1, 1), proc(3, 1, 3, 1), proc(9, 3, 5, 5)};
  auto order = plan_fork_order(tree(processes), {3});
  // 9 is forked inside session 5 by the helper standing for its gone leader (which 3 forks);
  // when the helper exits, 9 lands on the subreaper 3, its dumped parent.
  CHECK(order.forker == std::vector<int32_t>{0, 1, 5, 3});
  CHECK_THROWS_WITH(plan_fork_order(tree(processes), {}),
                    Catch::Contains("process 9") && Catch::Contains("reparented to 1"));
}

TEST_CASE("a member of a live leader's session under another parent is refused by name") {
  auto t = tree({proc(1, 0, 1, 1), proc(2, 1, 2, 2), proc(3, 1, 2, 2)});
  CHECK_THROWS_AS(plan_fork_order(t, {}), Error);
  CHECK_THROWS_WITH(plan_fork_order(t, {}), Catch::Contains("process 3"));
}

TEST_CASE("a child sharing its parent's fd table or fs state is forked by that parent") {
  auto sharer = proc(3, 2, 3, 1);
  sharer.shares_parent_files = true;
  auto order = plan_fork_order(tree({proc(1, 0, 1, 1), proc(2, 1, 2, 1), sharer}), {});
  CHECK(order.forker == std::vector<int32_t>{0, 1, 2});
  // 6 shares the fs state of 1, its parent since its session leader 5 exited: a helper
  // standing for 5 would fork it, and could not give it 1's.
  auto orphan = proc(6, 1, 5, 5);
  orphan.shares_parent_fs = true;
  CHECK_THROWS_WITH(plan_fork_order(tree({proc(1, 0, 1, 1), orphan}), {}),
                    Catch::Contains("process 6") && Catch::Contains("cwd/root/umask"));
  auto zombie = proc(4, 1, 4, 1, true);
  zombie.shares_parent_files = true;
  CHECK_THROWS_AS(plan_fork_order(tree({proc(1, 0, 1, 1), zombie}), {}), Error);
}
