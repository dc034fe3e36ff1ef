#include <catch2/catch.hpp>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

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

TEST_CASE("image: streams of several images read in one pass hand every chunk once, each its own") {
  TempDir dir;
  std::vector<std::string> paths, datas;
  for (int i = 0; i < 3; ++i) {
    paths.push_back(dir.file("img" + std::to_string(i) + ".ckpt"));
    datas.push_back(half_random_pages(300 + 400 * i, 20 + i));  // 3, 6 and 9 chunks
    write_image(paths.back(), datas.back(), 512 << 10);
  }
  std::vector<std::unique_ptr<ImageReader>> readers;
  std::vector<StreamRef> streams;
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) {
    readers.push_back(std::make_unique<ImageReader>(paths[i]));
    streams.push_back({readers.back().get(), SectionType::kPages, 7});
    got.emplace_back(datas[i].size(), '\0');
  }
  std::mutex mutex;
  std::set<std::pair<size_t, uint64_t>> seen;
  read_streams_parallel(streams, [&](size_t i, uint64_t offset, std::span<const std::byte> chunk) {
    REQUIRE(i < 3);
    REQUIRE(offset + chunk.size() <= got[i].size());
    std::memcpy(got[i].data() + offset, chunk.data(), chunk.size());
    std::lock_guard lock(mutex);
    CHECK(seen.insert({i, offset}).second);
  });
  for (int i = 0; i < 3; ++i) CHECK(got[i] == datas[i]);
  CHECK(seen.size() == 3 + 6 + 9);
}

TEST_CASE("image: verifying several images in one pass names the damaged one") {
  TempDir dir;
  std::vector<std::string> paths;
  for (int i = 0; i < 3; ++i) {
    paths.push_back(dir.file("img" + std::to_string(i) + ".ckpt"));
    write_image(paths.back(), half_random_pages(1500, 30 + i), 512 << 10);
  }
  {
    ImageReader a(paths[0]), b(paths[1]), c(paths[2]);
    std::vector<const ImageReader*> all{&a, &b, &c};
    CHECK_NOTHROW(verify_all(all));
  }
  flip_byte(paths[2], ImageReader(paths[2]).sections().at(5).offset + 300, 0x04);
  ImageReader a(paths[0]), b(paths[1]), c(paths[2]);
  std::vector<const ImageReader*> all{&a, &b, &c};
  CHECK_THROWS_WITH(verify_all(all), Catch::Contains(paths[2]) &&
                                         Catch::Contains("section pages/7 #5 at offset") &&
                                         Catch::Contains("checksum mismatch"));
}
