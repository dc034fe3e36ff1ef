// Counts, lengths and bools read from an image are checked against the bytes present before
// anything is allocated: forged records give one error, fast, whatever they claim.
#include <catch2/catch.hpp>
#include <cstring>

#include "common/error.h"
#include "common/image/archive.h"
#include "common/records/cgroup.h"
#include "common/tree_entry.h"

using namespace ckpt;

namespace {

struct WithVector {
  std::vector<uint64_t> numbers;
  std::vector<std::string> names;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    records::fields(ar, numbers, names);
  }
};

struct WithBool {
  bool flag = false;
  std::optional<int64_t> maybe;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    records::fields(ar, flag, maybe);
  }
};

// The offset of the first occurrence of the 8 little-endian bytes of `value` in `bytes`.
size_t find_u64(const std::string& bytes, uint64_t value) {
  std::string needle(8, '\0');
  std::memcpy(needle.data(), &value, 8);
  size_t at = bytes.find(needle);
  REQUIRE(at != std::string::npos);
  return at;
}

void put_u64(std::string& bytes, size_t at, uint64_t value) {
  std::memcpy(bytes.data() + at, &value, 8);
}

}  // namespace

TEST_CASE("a vector count beyond the bytes present is refused at once", "[untrusted]") {
  WithVector v;
  v.numbers = {101, 102, 103, 104, 105, 106, 107};  // no 7 nor 5 among them
  v.names = {"a", "bb", "ccc", "dddd", "eeeee"};
  std::string bytes = image::to_bytes(v);
  REQUIRE(image::from_bytes<WithVector>(bytes, "v").names.size() == 5);
  for (uint64_t count : {uint64_t{1} << 28, uint64_t{1} << 40, UINT64_MAX}) {
    std::string forged = bytes;
    put_u64(forged, find_u64(bytes, 7), count);
    CHECK_THROWS_WITH(image::from_bytes<WithVector>(forged, "v"), Catch::Contains("count"));
    forged = bytes;
    put_u64(forged, find_u64(bytes, 5), count);
    CHECK_THROWS_WITH(image::from_bytes<WithVector>(forged, "v"), Catch::Contains("count"));
  }
}

TEST_CASE("a string length beyond the bytes present is refused", "[untrusted]") {
  tree::TreeEntry e;
  e.path = "some/path";
  std::string bytes = image::to_bytes(e);
  put_u64(bytes, find_u64(bytes, 9), uint64_t{1} << 40);
  CHECK_THROWS_WITH(image::from_bytes<tree::TreeEntry>(bytes, "tree entry"),
                    Catch::Contains("string length"));
}

TEST_CASE("a bool or optional flag other than 0 or 1 is refused", "[untrusted]") {
  WithBool b;
  b.flag = true;
  b.maybe = 42;
  std::string bytes = image::to_bytes(b);
  REQUIRE(image::from_bytes<WithBool>(bytes, "b").maybe == 42);
  WithBool off = b;
  off.flag = false;
  std::string off_bytes = image::to_bytes(off);
  REQUIRE(off_bytes.size() == bytes.size());
  size_t flag = 0;
  while (flag < bytes.size() && bytes[flag] == off_bytes[flag]) ++flag;
  size_t present = find_u64(bytes, 42) - 1;  // the optional's flag, just before its value
  for (size_t at : {flag, present}) {
    REQUIRE(bytes[at] == 1);
    for (int byte : {2, 127, 255}) {
      std::string forged = bytes;
      forged[at] = static_cast<char>(byte);
      CHECK_THROWS_WITH(image::from_bytes<WithBool>(forged, "b"), Catch::Contains("bool"));
    }
  }
  records::CgroupLimits limits;  // nothing set: it ends with io_weight's presence flag
  std::string lb = image::to_bytes(limits);
  REQUIRE(lb.back() == 0);
  lb.back() = static_cast<char>(255);
  CHECK_THROWS_WITH(image::from_bytes<records::CgroupLimits>(lb, "limits"),
                    Catch::Contains("bool"));
}
