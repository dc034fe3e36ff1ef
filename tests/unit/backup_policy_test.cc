// The keep-* policy of `ckpt backup` (restic/borg meaning) and the names of its images.
#include <catch2/catch.hpp>

#include "backup/naming.h"
#include "backup/policy.h"

using namespace ckpt::backup;

namespace {

constexpr int64_t kHour = 3600, kDay = 86400;
// 2026-03-02 00:00:00 UTC, a Monday.
constexpr int64_t kMonday = 1772409600;

std::set<int64_t> kept_times(const std::vector<int64_t>& times, const KeepPolicy& policy) {
  std::set<int64_t> kept;
  for (size_t i : backups_to_keep(times, policy)) kept.insert(times[i]);
  return kept;
}

}  // namespace

TEST_CASE("no keep rule keeps everything", "[backup]") {
  std::vector<int64_t> times{kMonday, kMonday + 1, kMonday + 2};
  CHECK(backups_to_keep(times, {}).size() == 3);
}

TEST_CASE("--keep-last N keeps the N newest, in any order given", "[backup]") {
  std::vector<int64_t> times{kMonday + 30, kMonday, kMonday + 20, kMonday + 10};
  CHECK(kept_times(times, {.last = 2}) == std::set<int64_t>{kMonday + 20, kMonday + 30});
  CHECK(kept_times(times, {.last = 9}).size() == 4);
}

TEST_CASE("--keep-hourly keeps the newest of each of the last N hours that have one",
          "[backup]") {
  // Three in hour 0, none in hour 1, two in hour 2, one in hour 3.
  std::vector<int64_t> times{kMonday + 60,         kMonday + 120,         kMonday + 180,
                             kMonday + 2 * kHour,  kMonday + 2 * kHour + 5, kMonday + 3 * kHour};
  CHECK(kept_times(times, {.hourly = 2}) ==
        std::set<int64_t>{kMonday + 3 * kHour, kMonday + 2 * kHour + 5});
  // Hours without a backup do not count: the third most recent hour with one is hour 0.
  CHECK(kept_times(times, {.hourly = 3}) ==
        std::set<int64_t>{kMonday + 3 * kHour, kMonday + 2 * kHour + 5, kMonday + 180});
}

TEST_CASE("daily, weekly and monthly rules bucket by UTC day, ISO week and month", "[backup]") {
  std::vector<int64_t> times;
  for (int day = 0; day < 70; ++day) {
    times.push_back(kMonday + day * kDay + 10 * kHour);
    times.push_back(kMonday + day * kDay + 20 * kHour);
  }
  auto daily = kept_times(times, {.daily = 3});
  CHECK(daily == std::set<int64_t>{kMonday + 69 * kDay + 20 * kHour, kMonday + 68 * kDay + 20 * kHour,
                                   kMonday + 67 * kDay + 20 * kHour});
  // ISO weeks start on Monday: the newest of each week is its Sunday evening.
  auto weekly = kept_times(times, {.weekly = 3});
  CHECK(weekly == std::set<int64_t>{kMonday + 69 * kDay + 20 * kHour, kMonday + 62 * kDay + 20 * kHour,
                                    kMonday + 55 * kDay + 20 * kHour});
  // March 2 + 69 days is May 10: months May, April (30th), March (31st).
  auto monthly = kept_times(times, {.monthly = 3});
  CHECK(monthly == std::set<int64_t>{kMonday + 69 * kDay + 20 * kHour, kMonday + 59 * kDay + 20 * kHour,
                                     kMonday + 29 * kDay + 20 * kHour});
}

TEST_CASE("rules add up: an image kept by any rule stays", "[backup]") {
  std::vector<int64_t> times;
  for (int i = 0; i < 10; ++i) times.push_back(kMonday + i * kDay);
  auto kept = kept_times(times, {.last = 2, .daily = 4});
  CHECK(kept.size() == 4);
  CHECK(kept_times(times, {.last = 5, .daily = 2}).size() == 5);
  CHECK(kept_times(times, {.last = 1, .monthly = 1}) == std::set<int64_t>{kMonday + 9 * kDay});
}

TEST_CASE("image names carry the container id and the UTC time", "[backup]") {
  CHECK(image_name("web-1", kMonday + 3723) == "web-1-20260302T010203Z.ckpt");
  auto parsed = parse_image_name("web-1-20260302T010203Z.ckpt");
  REQUIRE(parsed);
  CHECK(parsed->id == "web-1");
  CHECK(parsed->time == kMonday + 3723);
  CHECK_FALSE(parse_image_name("web-1-20260302T010203Z.ckpt.tmp.ab12cd"));
  CHECK_FALSE(parse_image_name("web.ckpt"));
  CHECK_FALSE(parse_image_name("-20260302T010203Z.ckpt"));
}
