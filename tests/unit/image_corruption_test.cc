// Damaged images must fail with a one-line ckpt::Error, never crash, hang or throw anything else.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>

#include "common/error.h"
#include "common/image/format.h"
#include "common/records/tree.h"
#include "common/records/uts.h"
#include "image_test_support.h"

using namespace ckpt::image;
using namespace ckpt::image::testing;

namespace {

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_whole(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// An image with records, raw and compressed sections and a stream of several chunks.
std::string sample_image(const TempDir& dir) {
  std::string path = dir.file("sample.ckpt");
  WriterOptions o;
  o.chunk_size = 4096;
  o.min_compress_size = 64;
  ImageWriter w(path, test_header(), o);
  w.put(SectionType::kUts, 0, ckpt::records::UtsState{"host", "domain"});
  ckpt::records::ProcessTree tree;
  tree.processes.resize(3);
  w.put(SectionType::kProcessTree, 0, tree);
  w.put_bytes(SectionType::kFileData, 1, half_random_pages(1, 9).substr(0, 3000));
  auto s = w.open_stream(SectionType::kPages, 77);
  std::string pages = half_random_pages(3, 10);
  s->write(pages.data(), pages.size());
  s->close();
  w.finish();
  return read_whole(path);
}

// Everything a restore would read: all payloads, checked, plus the records decoded.
std::map<std::pair<SectionType, uint64_t>, std::string> read_everything(const std::string& path) {
  ImageReader r(path);
  r.verify();
  std::map<std::pair<SectionType, uint64_t>, std::string> out;
  for (const SectionInfo& s : r.sections()) {
    if (s.seq == 0) out[{s.type, s.id}] = r.get_bytes(s.type, s.id);
  }
  r.get<ckpt::records::UtsState>(SectionType::kUts, 0);
  r.get<ckpt::records::ProcessTree>(SectionType::kProcessTree, 0);
  return out;
}

std::string mutate(std::string image, uint64_t& rng, std::string& what) {
  switch (next_random(rng) % 4) {
    case 0: {  // flip bits in 1-4 bytes
      int n = 1 + static_cast<int>(next_random(rng) % 4);
      what = "flip";
      for (int i = 0; i < n; ++i) {
        size_t at = next_random(rng) % image.size();
        image[at] = static_cast<char>(image[at] ^ (1 + next_random(rng) % 255));
        what += " @" + std::to_string(at);
      }
      return image;
    }
    case 1: {  // truncate
      size_t at = next_random(rng) % image.size();
      what = "truncate @" + std::to_string(at);
      image.resize(at);
      return image;
    }
    case 2: {  // append garbage
      size_t n = 1 + next_random(rng) % 100;
      what = "append " + std::to_string(n);
      for (size_t i = 0; i < n; ++i) image.push_back(static_cast<char>(next_random(rng)));
      return image;
    }
    default: {  // overwrite a run with random bytes
      size_t at = next_random(rng) % image.size();
      size_t n = std::min<size_t>(1 + next_random(rng) % 64, image.size() - at);
      what = "overwrite @" + std::to_string(at) + "+" + std::to_string(n);
      for (size_t i = 0; i < n; ++i) image[at + i] = static_cast<char>(next_random(rng));
      return image;
    }
  }
}

// Opens `path` expecting a one-line ckpt::Error that names the file.
void require_clean_error(const std::string& path, const std::string& what) {
  try {
    read_everything(path);
    FAIL("undetected damage: " << what);
  } catch (const ckpt::Error& e) {
    std::string msg = e.what();
    INFO(what << ": " << msg);
    CHECK(msg.find('\n') == std::string::npos);
    CHECK(msg.rfind(path + ": ", 0) == 0);
  } catch (const std::exception& e) {
    FAIL(what << ": wrong exception type: " << e.what());
  }
}

}  // namespace

TEST_CASE("image: the sample image reads back completely") {
  TempDir dir;
  std::string image = sample_image(dir);
  CHECK(image.size() < 64 << 10);
  auto content = read_everything(dir.file("sample.ckpt"));
  CHECK(content.at({SectionType::kPages, 77}) == half_random_pages(3, 10));
}

TEST_CASE("image: random damage always gives a one-line Error") {
  TempDir dir;
  std::string image = sample_image(dir);
  MemFile file;
  std::string path = file.path();
  uint64_t rng = 20261129;
  for (int i = 0; i < 3000; ++i) {
    std::string what;
    std::string damaged = mutate(image, rng, what);
    if (damaged == image) continue;  // an overwrite that happened to write the same bytes
    file.set(damaged);
    require_clean_error(path, "iteration " + std::to_string(i) + ": " + what);
  }
}

TEST_CASE("image: truncation at every offset gives a one-line Error") {
  TempDir dir;
  std::string image = sample_image(dir);
  MemFile file;
  for (size_t length = 0; length < image.size(); ++length) {
    file.set(image.substr(0, length));
    require_clean_error(file.path(), "truncated to " + std::to_string(length));
  }
}

TEST_CASE("image: a corrupt zstd frame behind a valid checksum gives an Error") {
  TempDir dir;
  std::string image = sample_image(dir);
  ImageReader original(dir.file("sample.ckpt"));
  MemFile file;
  std::string path = file.path();
  uint64_t rng = 42;
  int forged = 0;
  for (int i = 0; i < 300; ++i) {
    for (const SectionInfo& s : original.sections()) {
      if (!(s.flags & kCompressed)) continue;
      std::string damaged = image;
      size_t payload = s.offset + format::kSectionHeaderSize;
      size_t at = payload + next_random(rng) % s.stored_size;
      damaged[at] = static_cast<char>(damaged[at] ^ (1 + next_random(rng) % 255));
      // Recompute both checksums so that only the decompressor can notice.
      SectionInfo info = s;
      info.checksum = format::checksum(std::string_view(damaged).substr(payload, s.stored_size));
      auto header = format::encode_section_header(info);
      std::memcpy(damaged.data() + s.offset, header.data(), header.size());
      file.set(damaged);
      try {
        ImageReader r(path);
        r.verify();
        r.get_bytes(s.type, s.id);  // zstd may decode the damage into other bytes: no crash
      } catch (const ckpt::Error& e) {
        CHECK(std::string(e.what()).find("section") != std::string::npos);
        ++forged;
      }
    }
  }
  CHECK(forged > 0);
}

TEST_CASE("image: foreign, empty and newer-version files are refused clearly") {
  TempDir dir;
  std::string image = sample_image(dir);
  std::string path = dir.file("x.ckpt");

  write_whole(path, "");
  CHECK_THROWS_WITH(ImageReader(path), Catch::Contains("empty file"));
  write_whole(path, "#!/bin/sh\necho this is not an image\n");
  CHECK_THROWS_WITH(ImageReader(path), Catch::Contains("not a ckpt image"));

  std::string newer = image;
  format::store<uint32_t>(reinterpret_cast<std::byte*>(newer.data()) + 8, kFormatVersion + 1);
  write_whole(path, newer);
  CHECK_THROWS_WITH(ImageReader(path), Catch::Contains(fmt::format("format version {} is newer", kFormatVersion + 1)));

  std::string flipped = image;
  flipped[flipped.size() - 40] ^= 1;  // inside the trailer index
  write_whole(path, flipped);
  CHECK_THROWS_WITH(ImageReader(path), Catch::Contains("section trailer/0 #0 at offset") &&
                                           Catch::Contains("checksum mismatch"));
}
