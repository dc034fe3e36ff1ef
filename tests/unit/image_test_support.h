// Helpers shared by the image unit tests: a scratch directory and test payloads.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/image/image.h"

namespace ckpt::image::testing {

// A fresh directory removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ckpt-image-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// An in-memory file with a path, for tests that rewrite an image thousands of times.
class MemFile {
 public:
  MemFile() : fd_(::memfd_create("ckpt-test-image", MFD_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error("memfd_create failed");
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }
  void set(const std::string& bytes) {
    if (::ftruncate(fd_, 0) != 0 ||
        ::pwrite(fd_, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
      throw std::runtime_error("memfd write failed");
    }
  }

 private:
  int fd_;
};

// splitmix64: fast, seeded, the same on every host.
inline uint64_t next_random(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// `pages` pages of 4 KiB that look like memory: 2 KiB random, then 2 KiB zeros.
inline std::string half_random_pages(size_t pages, uint64_t seed) {
  std::string out(pages * 4096, '\0');
  for (size_t p = 0; p < pages; ++p) {
    for (size_t i = 0; i < 2048; i += 8) {
      uint64_t r = next_random(seed);
      std::memcpy(out.data() + p * 4096 + i, &r, 8);
    }
  }
  return out;
}

// Flips the bits `mask` of the byte at `offset` of the file at `path`.
inline void flip_byte(const std::string& path, uint64_t offset, int mask) {
  std::FILE* f = std::fopen(path.c_str(), "r+b");
  if (!f) throw std::runtime_error("cannot open " + path);
  std::fseek(f, static_cast<long>(offset), SEEK_SET);
  int c = std::fgetc(f);
  std::fseek(f, static_cast<long>(offset), SEEK_SET);
  std::fputc(c ^ mask, f);
  std::fclose(f);
}

inline std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

inline Header test_header() {
  Header h;
  h.arch = "x86_64";
  h.kernel = "6.18.0-test";
  h.ckpt_version = "0.1.0";
  h.created_unix = 1700000000;
  h.container_id = "test-container";
  return h;
}

}  // namespace ckpt::image::testing
