#include <catch2/catch.hpp>

#include "common/fs.h"

TEST_CASE("trim removes surrounding whitespace") {
  CHECK(ckpt::fs::trim("  max\n") == "max");
  CHECK(ckpt::fs::trim("\n").empty());
}
