#include <catch2/catch.hpp>

#include "ckpt/time_ns.h"
#include "restore/time_ns.h"

using namespace ckpt;

TEST_CASE("time namespace offsets make the clocks read their dumped values") {
  records::TimeNamespace dumped{{100, 200}, {150, 900000000}};
  records::TimeNamespace host{{3000, 500}, {3100, 100}};
  // monotonic: 100.000000200 - 3000.000000500 = -2900.000000300 = -2901 s + 999999700 ns
  CHECK(restore::timens_offsets(dumped, host) ==
        "monotonic -2901 999999700\nboottime -2950 899999900\n");
}

TEST_CASE("a host that booted later gets positive offsets") {
  records::TimeNamespace dumped{{5000, 0}, {5000, 0}};
  records::TimeNamespace host{{10, 0}, {10, 0}};
  CHECK(restore::timens_offsets(dumped, host) == "monotonic 4990 0\nboottime 4990 0\n");
}

TEST_CASE("dump reads a container's clocks from its time namespace offsets") {
  auto theirs = dump::parse_timens_offsets("monotonic -2901 999999700\nboottime 4990 0\n", "t");
  CHECK(theirs.monotonic.sec == -2901);
  CHECK(theirs.monotonic.nsec == 999999700);
  CHECK(theirs.boottime.sec == 4990);
  records::TimeNamespace now{{3000, 500}, {10, 900000000}};
  records::TimeNamespace ours{{0, 0}, {0, 0}};
  auto seen = dump::clocks_in(now, theirs, ours);
  // 3000.000000500 - 2901 + 0.999999700 = 100.000000200: the clock restore set back
  CHECK(seen.monotonic.sec == 100);
  CHECK(seen.monotonic.nsec == 200);
  CHECK(seen.boottime.sec == 5000);
  CHECK(seen.boottime.nsec == 900000000);
  // Ours count too (ckpt run from inside a time namespace of its own).
  auto from_inside = dump::clocks_in(now, theirs, {{-1, 500}, {0, 0}});
  CHECK(from_inside.monotonic.sec == 100);  // 100.000000200 + 0.999999500
  CHECK(from_inside.monotonic.nsec == 999999700);
}

TEST_CASE("timens_offsets without both clocks is refused, naming the file") {
  CHECK_THROWS_WITH(dump::parse_timens_offsets("monotonic 1 0\n", "/proc/7/timens_offsets"),
                    Catch::Contains("/proc/7/timens_offsets"));
}
