// Stream throughput on memory-like pages (2 KiB random + 2 KiB zeros per 4 KiB page).
// Hidden: unit_tests "[.bench]" prints MiB/s; it asserts nothing about speed.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>

#include "common/image/compression.h"
#include "image_test_support.h"

using namespace ckpt::image;
using namespace ckpt::image::testing;

namespace {

constexpr size_t kSourceBytes = 64u << 20;
constexpr int kRounds = 16;  // 1 GiB in all

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Writes kRounds copies of `source` as one stream; returns seconds taken.
double write_image(const std::string& path, const std::string& source, int threads) {
  WriterOptions o;
  o.threads = threads;
  auto start = std::chrono::steady_clock::now();
  ImageWriter w(path, test_header(), o);
  auto s = w.open_stream(SectionType::kPages, 1);
  for (int i = 0; i < kRounds; ++i) s->write(source.data(), source.size());
  s->close();
  w.finish();
  return seconds_since(start);
}

void report(const char* what, double seconds) {
  double mib = double(kSourceBytes) * kRounds / (1 << 20);
  std::printf("%-40s %8.0f MiB/s (%.2f s)\n", what, mib / seconds, seconds);
}

}  // namespace

TEST_CASE("benchmark: image stream throughput", "[.bench]") {
  std::string source = half_random_pages(kSourceBytes / 4096, 1);
  {  // the baseline: zstd level 1 alone on one thread, 4 MiB at a time
    Buffer out;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRounds; ++i) {
      for (size_t at = 0; at < source.size(); at += 4 << 20) {
        compress_payload(bytes_of(source).subspan(at, 4 << 20), 1, 0, out);
      }
    }
    report("zstd level 1 alone, one thread", seconds_since(start));
  }
  TempDir dir;
  std::string path = dir.file("bench.ckpt");
  for (int threads : {1, 2, 4}) {
    report(("write to a file, threads=" + std::to_string(threads)).c_str(),
           write_image(path, source, threads));
  }
  {  // without the file system: to stdout redirected to /dev/null
    int saved = ::dup(STDOUT_FILENO);
    int null = ::open("/dev/null", O_WRONLY);
    std::fflush(stdout);
    ::dup2(null, STDOUT_FILENO);
    double t = write_image("-", source, 0);
    ::dup2(saved, STDOUT_FILENO);
    ::close(saved);
    ::close(null);
    report("write to /dev/null, threads=nproc", t);
  }
  write_image(path, source, 0);
  ImageReader r(path);
  uint64_t total = 0;
  auto start = std::chrono::steady_clock::now();
  r.read_stream(SectionType::kPages, 1,
                [&](std::span<const std::byte> chunk) { total += chunk.size(); });
  report("read_stream (checksum + decompress)", seconds_since(start));
  CHECK(total == kSourceBytes * kRounds);
  std::printf("image size: %.1f MiB for %zu MiB of pages\n", double(r.file_size()) / (1 << 20),
              kSourceBytes * kRounds >> 20);
}
