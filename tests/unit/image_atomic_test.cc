#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "image_test_support.h"

using namespace ckpt::image;
using namespace ckpt::image::testing;

namespace {

size_t entries_in(const std::filesystem::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("image: nothing appears under the name unless finish() succeeds") {
  TempDir dir;
  std::string path = dir.file("img.ckpt");
  {
    ImageWriter w(path, test_header());
    w.put_bytes(SectionType::kFileData, 1, std::string(1000, 'z'));
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK(entries_in(dir.path()) == 1);  // the temp file
  }
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(entries_in(dir.path()) == 0);
}

TEST_CASE("image: a finished image has mode 0600 and replaces an older one") {
  TempDir dir;
  std::string path = dir.file("img.ckpt");
  for (const char* content : {"first", "second"}) {
    ImageWriter w(path, test_header());
    w.put_bytes(SectionType::kFileData, 1, std::string(content));
    w.finish();
  }
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(entries_in(dir.path()) == 1);
  CHECK(ImageReader(path).get_bytes(SectionType::kFileData, 1) == "second");
}

TEST_CASE("image: writing into a missing directory fails with an Error") {
  TempDir dir;
  CHECK_THROWS_AS(ImageWriter(dir.file("no/such/img.ckpt"), test_header()), ckpt::Error);
  CHECK_THROWS_AS(ImageReader(dir.file("absent.ckpt")), ckpt::Error);
}
