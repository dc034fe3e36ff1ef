#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/units.h"

using ckpt::parse_size;

TEST_CASE("sizes with units") {
  CHECK(parse_size("256M", "--memory") == 256ll << 20);
  CHECK(parse_size("1g", "--memory") == 1ll << 30);
  CHECK(parse_size("512KiB", "--memory") == 512ll << 10);
  CHECK(parse_size("4096", "--memory") == 4096);
  CHECK(ckpt::format_size(256ull << 20) == "256.0 MiB");
}

TEST_CASE("bad sizes name the option") {
  CHECK_THROWS_WITH(parse_size("lots", "--memory"), Catch::Contains("--memory"));
  CHECK_THROWS_AS(parse_size("12Q", "--memory"), ckpt::Error);
  CHECK_THROWS_AS(parse_size("99999999999999999999", "--memory"), ckpt::Error);
}
