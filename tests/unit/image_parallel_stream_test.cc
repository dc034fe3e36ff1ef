#include <catch2/catch.hpp>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>

#include "common/error.h"
#include "image_test_support.h"

using namespace ckpt::image;
using namespace ckpt::image::testing;

namespace {

// `data` as stream (kPages, 7) in chunks of `chunk_size` bytes.
void write_image(const std::string& path, const std::string& data, size_t chunk_size) {
  WriterOptions o;
  o.chunk_size = chunk_size;
  ImageWriter w(path, test_header(), o);
  auto s = w.open_stream(SectionType::kPages, 7);
  s->write(data.data(), data.size());
  s->close();
  w.finish();
}

// The stream read back in parallel, each chunk put at its offset; the offsets seen.
std::string read_parallel(const ImageReader& r, std::set<uint64_t>& offsets) {
  std::string got(r.get_bytes(SectionType::kPages, 7).size(), '\0');
  std::mutex mutex;
  r.read_stream_parallel(SectionType::kPages, 7,
                         [&](uint64_t offset, std::span<const std::byte> chunk) {
                           REQUIRE(offset + chunk.size() <= got.size());
                           std::memcpy(got.data() + offset, chunk.data(), chunk.size());
                           std::lock_guard lock(mutex);
                           CHECK(offsets.insert(offset).second);
                         });
  return got;
}

}  // namespace

TEST_CASE("image: a stream read in parallel hands every chunk once, at its offset") {
  TempDir dir;
  std::string path = dir.file("img.ckpt");
  std::string data = half_random_pages(3000, 9);  // 24 chunks of 512 KiB, the last one short
  write_image(path, data, 512 << 10);
  ImageReader r(path);
  std::set<uint64_t> offsets;
  CHECK(read_parallel(r, offsets) == data);
  CHECK(offsets.size() == 24);
  CHECK(*offsets.rbegin() == 23 * (512 << 10));
}

TEST_CASE("image: a small stream read in parallel is read on the caller's thread") {
  TempDir dir;
  std::string path = dir.file("img.ckpt");
  std::string data = half_random_pages(100, 2);  // below the decode-ahead size
  write_image(path, data, 64 << 10);
  ImageReader r(path);
  std::set<uint64_t> offsets;
  CHECK(read_parallel(r, offsets) == data);
  CHECK(offsets.size() == 7);
}

TEST_CASE("image: an exception from a parallel consumer ends the read; the reader stays usable") {
  TempDir dir;
  std::string path = dir.file("img.ckpt");
  std::string data = half_random_pages(3000, 5);
  write_image(path, data, 512 << 10);
  ImageReader r(path);
  std::mutex mutex;
  int calls = 0;
  auto consume = [&](uint64_t, std::span<const std::byte>) {
    std::lock_guard lock(mutex);
    if (++calls == 3) throw std::runtime_error("consumer gave up");
  };
  CHECK_THROWS_WITH(r.read_stream_parallel(SectionType::kPages, 7, consume), "consumer gave up");
  CHECK(calls < 24);  // no chunk started after the failure beyond those already in flight
  std::set<uint64_t> offsets;
  CHECK(read_parallel(r, offsets) == data);
}

TEST_CASE("image: a damaged chunk fails a parallel read naming the section") {
  TempDir dir;
  std::string path = dir.file("img.ckpt");
  write_image(path, half_random_pages(3000, 6), 512 << 10);
  uint64_t damaged_at = ImageReader(path).sections().at(4).offset + 200;
  flip_byte(path, damaged_at, 0x10);
  ImageReader r(path);
  CHECK_THROWS_WITH(
      r.read_stream_parallel(SectionType::kPages, 7, [](uint64_t, std::span<const std::byte>) {}),
      Catch::Contains("section pages/7 #4 at offset") && Catch::Contains("checksum mismatch"));
}
