// Signed images (image/signing.h), output paths an image may not replace, and UTF-8 checks.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "common/error.h"
#include "common/image/signing.h"
#include "common/utf8.h"
#include "image_test_support.h"

using namespace ckpt;
using image::testing::TempDir;

namespace {

const std::string kKey(32, 'k');

void write_image(const std::string& path, const std::string& key) {
  image::WriterOptions options;
  options.sign_key = key;
  image::ImageWriter writer(path, image::make_header("signed"), options);
  writer.put_bytes(image::SectionType::kConfig, 0, std::string(1000, 'c'));
  auto stream = writer.open_stream(image::SectionType::kPages, 1);
  stream->write(std::string(100000, 'p').data(), 100000);
  stream->close();
  writer.finish();
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

TEST_CASE("a signed image verifies under its key only", "[untrusted][signing]") {
  TempDir tmp;
  write_image(tmp.file("a.ckpt"), kKey);
  image::ImageReader reader(tmp.file("a.ckpt"));
  CHECK_NOTHROW(image::verify_signature(reader, kKey));
  CHECK(reader.sections().back().type == image::SectionType::kSignature);
  CHECK_THROWS_WITH(image::verify_signature(reader, std::string(32, 'x')),
                    Catch::Contains("does not match"));
  reader.verify();  // an ordinary image besides
}

TEST_CASE("an unsigned image is refused when a key is required", "[untrusted][signing]") {
  TempDir tmp;
  write_image(tmp.file("u.ckpt"), "");
  image::ImageReader reader(tmp.file("u.ckpt"));
  CHECK_THROWS_WITH(image::verify_signature(reader, kKey), Catch::Contains("not signed"));
}

TEST_CASE("a changed byte anywhere before the signature breaks it", "[untrusted][signing]") {
  TempDir tmp;
  write_image(tmp.file("a.ckpt"), kKey);
  std::string bytes = read_all(tmp.file("a.ckpt"));
  image::testing::MemFile mem;
  size_t sig_offset = image::ImageReader(tmp.file("a.ckpt")).sections().back().offset;
  for (size_t at : {size_t{20}, size_t{200}, sig_offset / 2, sig_offset - 1}) {
    std::string changed = bytes;
    changed[at] = static_cast<char>(changed[at] ^ 0x40);
    mem.set(changed);
    try {
      image::ImageReader reader(mem.path());
      CHECK_THROWS(image::verify_signature(reader, kKey));
    } catch (const Error&) {
      // the structure itself no longer opens: refused as well
    }
  }
}

TEST_CASE("signing keys are files of 32 bytes or more readable by their owner only",
          "[untrusted][signing]") {
  TempDir tmp;
  std::string path = tmp.file("key");
  std::ofstream(path) << std::string(16, 'k');
  ::chmod(path.c_str(), 0600);
  CHECK_THROWS_WITH(image::load_signing_key(path), Catch::Contains("at least 32"));
  std::ofstream(path) << kKey;
  CHECK(image::load_signing_key(path) == kKey);
  ::chmod(path.c_str(), 0644);
  CHECK_THROWS_WITH(image::load_signing_key(path), Catch::Contains("readable by others"));
}

TEST_CASE("an image replaces only a regular file", "[untrusted]") {
  TempDir tmp;
  CHECK_THROWS_WITH(image::ImageWriter("/dev/null", image::make_header("t")),
                    Catch::Contains("a device node"));
  CHECK_THROWS_WITH(image::ImageWriter(tmp.path().string(), image::make_header("t")),
                    Catch::Contains("a directory"));
  CHECK_THROWS(image::ImageWriter(tmp.file("sub") + "/", image::make_header("t")));
  CHECK_THROWS_WITH(image::ImageWriter("", image::make_header("t")),
                    Catch::Contains("empty path"));
  ::mkfifo(tmp.file("fifo").c_str(), 0600);
  CHECK_THROWS_WITH(image::ImageWriter(tmp.file("fifo"), image::make_header("t")),
                    Catch::Contains("a FIFO"));
  struct stat st {};
  REQUIRE(::stat("/dev/null", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
}

TEST_CASE("UTF-8 is checked before text goes into JSON", "[untrusted]") {
  CHECK(is_utf8("plain"));
  CHECK(is_utf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(is_utf8("\xff"));
  CHECK_FALSE(is_utf8("a\xc3"));
  CHECK_FALSE(is_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(is_utf8("\xed\xa0\x80"));      // a surrogate
  CHECK_FALSE(is_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  CHECK_THROWS_WITH(require_utf8("x\xff", "--hostname"), Catch::Contains("\\xff"));
}
