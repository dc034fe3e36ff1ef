#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/overlay.h"

using namespace ckpt;

TEST_CASE("overlay layers are read from mountinfo options and written back as mount data") {
  auto layers = overlay::parse_options(
      "rw,lowerdir=/img/top:/img/base,upperdir=/c/upper,workdir=/c/work,uuid=on,index=off");
  CHECK(layers.lower == std::vector<std::string>{"/img/top", "/img/base"});
  CHECK(layers.upper == "/c/upper");
  CHECK(layers.work == "/c/work");
  CHECK(layers.other == std::vector<std::string>{"uuid=on", "index=off"});
  layers.upper = "/new/upper";
  layers.work = "/new/work";
  CHECK(overlay::mount_data(layers) ==
        "lowerdir=/img/top:/img/base,upperdir=/new/upper,workdir=/new/work,uuid=on,index=off");
}

TEST_CASE("a read-only overlay has no upper layer; options without lowerdir are refused") {
  auto layers = overlay::parse_options("ro,lowerdir=/a:/b");
  CHECK(layers.upper.empty());
  CHECK(overlay::mount_data(layers) == "lowerdir=/a:/b");
  CHECK_THROWS_WITH(overlay::parse_options("rw,upperdir=/u"), Catch::Contains("lowerdir"));
}
