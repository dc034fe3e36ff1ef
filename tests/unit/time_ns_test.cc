#include <catch2/catch.hpp>

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
