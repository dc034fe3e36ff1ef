#include <sys/stat.h>
#include <xxhash.h>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "image_test_support.h"

using namespace ckpt::image;
using namespace ckpt::image::testing;

namespace {

// Writes `data` as one stream in pieces of `piece` bytes.
void write_stream(ImageWriter& w, uint64_t id, const std::string& data, size_t piece) {
  auto s = w.open_stream(SectionType::kPages, id);
  for (size_t at = 0; at < data.size(); at += piece) {
    s->write(data.data() + at, std::min(piece, data.size() - at));
  }
  s->close();
}

}  // namespace

TEST_CASE("image: a stream of several chunks reads back in order, chunk by chunk") {
  TempDir dir;
  std::string path = dir.file("img.ckpt");
  std::string data = half_random_pages(40, 1);  // 160 KiB
  WriterOptions o;
  o.chunk_size = 16 << 10;
  o.threads = 3;
  {
    ImageWriter w(path, test_header(), o);
    write_stream(w, 11, data, 5000);  // pieces that straddle chunk boundaries
    w.put_bytes(SectionType::kMm, 11, std::string("after the stream"));
    write_stream(w, 12, std::string(), 1);
    w.finish();
  }
  ImageReader r(path);
  r.verify();
  std::string got;
  size_t chunks = 0;
  r.read_stream(SectionType::kPages, 11, [&](std::span<const std::byte> chunk) {
    CHECK(chunk.size() == o.chunk_size);
    got.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    ++chunks;
  });
  CHECK(chunks == 10);
  CHECK(got == data);
  CHECK(r.get_bytes(SectionType::kPages, 11) == data);
  CHECK(r.get_bytes(SectionType::kMm, 11) == "after the stream");
  CHECK(r.has(SectionType::kPages, 12));
  CHECK(r.get_bytes(SectionType::kPages, 12).empty());
  CHECK(r.sections().size() == 12);
}

TEST_CASE("image: a 64 MiB stream keeps its content", "[slow]") {
  TempDir dir;
  std::string path = dir.file("big.ckpt");
  std::string data = half_random_pages(16384 + 3, 7);  // 64 MiB and a bit
  uint64_t want = XXH3_64bits(data.data(), data.size());
  {
    ImageWriter w(path, test_header());
    write_stream(w, 1, data, 1 << 20);
    w.finish();
    // half-random pages compress to about half
    CHECK(w.bytes_written() < data.size() * 6 / 10);
  }
  data.clear();
  ImageReader r(path);
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  uint64_t total = 0;
  r.read_stream(SectionType::kPages, 1, [&](std::span<const std::byte> chunk) {
    XXH3_64bits_update(state, chunk.data(), chunk.size());
    total += chunk.size();
  });
  CHECK(total == (16384 + 3) * 4096ull);
  CHECK(XXH3_64bits_digest(state) == want);
  XXH3_freeState(state);
}

TEST_CASE("image: payloads larger than a chunk are split like streams") {
  TempDir dir;
  std::string path = dir.file("img.ckpt");
  std::string data = half_random_pages(10, 3);
  WriterOptions o;
  o.chunk_size = 8192;
  {
    ImageWriter w(path, test_header(), o);
    w.put_bytes(SectionType::kFileData, 5, data);
    w.finish();
  }
  ImageReader r(path);
  CHECK(r.sections().size() == 5);
  CHECK(r.get_bytes(SectionType::kFileData, 5) == data);
}

TEST_CASE("image: an abandoned stream makes the image unfinishable") {
  TempDir dir;
  std::string path = dir.file("img.ckpt");
  ImageWriter w(path, test_header());
  {
    auto s = w.open_stream(SectionType::kPages, 1);
    s->write("abc", 3);
    CHECK_THROWS_AS(w.put_bytes(SectionType::kMm, 1, std::string("x")), ckpt::Error);
  }
  CHECK_THROWS_AS(w.finish(), ckpt::Error);
  struct stat st {};
  CHECK(::stat(path.c_str(), &st) != 0);
}

namespace {

// A 6 MiB stream of 512 KiB chunks: large enough for the reader to decode ahead on workers.
std::string write_decode_ahead_image(const std::string& path, const std::string& data) {
  WriterOptions o;
  o.chunk_size = 512 << 10;
  ImageWriter w(path, test_header(), o);
  write_stream(w, 5, data, 1 << 20);
  w.finish();
  return path;
}

}  // namespace

TEST_CASE("image: a damaged chunk stops a decoded-ahead stream at that chunk") {
  TempDir dir;
  std::string path = dir.file("img.ckpt");
  std::string data = half_random_pages(1536, 4);
  write_decode_ahead_image(path, data);
  uint64_t damaged_at = ImageReader(path).sections().at(5).offset + 100;
  flip_byte(path, damaged_at, 0x40);
  ImageReader r(path);
  size_t delivered = 0;
  CHECK_THROWS_WITH(
      r.read_stream(SectionType::kPages, 5,
                    [&](std::span<const std::byte> chunk) {
                      CHECK(std::memcmp(chunk.data(), data.data() + delivered * chunk.size(),
                                        chunk.size()) == 0);
                      ++delivered;
                    }),
      Catch::Contains("section pages/5 #5 at offset") && Catch::Contains("checksum mismatch"));
  CHECK(delivered == 5);
  CHECK_THROWS_AS(r.verify(), ckpt::Error);
}

TEST_CASE("image: an exception from the consumer ends read_stream cleanly") {
  TempDir dir;
  std::string path = dir.file("img.ckpt");
  write_decode_ahead_image(path, half_random_pages(1536, 4));
  ImageReader r(path);
  int calls = 0;
  auto consume = [&](std::span<const std::byte>) {
    if (++calls == 2) throw std::runtime_error("consumer gave up");
  };
  CHECK_THROWS_WITH(r.read_stream(SectionType::kPages, 5, consume), "consumer gave up");
  calls = -100;  // the reader is still usable afterwards
  CHECK(r.get_bytes(SectionType::kPages, 5).size() == 1536 * 4096);
}
