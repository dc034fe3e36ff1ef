#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "image_test_support.h"

using namespace ckpt::image;
using namespace ckpt::image::testing;

namespace {

size_t thread_count() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator("/proc/self/task"))
    ++n;
  return n;
}

}  // namespace

// The restore's root task reads the image it inherited as pid 1 of a new pid namespace: a
// decoding thread there would take pid 2, which the restored tree needs.
TEST_CASE("image: a forked reader decodes a large stream without starting threads") {
  TempDir dir;
  std::string path = dir.file("img.ckpt");
  std::string data = half_random_pages(1536, 7);  // 6 MiB: decoded ahead when not forked
  WriterOptions o;
  o.chunk_size = 1 << 20;
  {
    ImageWriter w(path, test_header(), o);
    w.put_bytes(SectionType::kSharedMem, 1, data);
    w.finish();
  }
  ImageReader r(path);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::string read;
    size_t most_threads = 0;
    r.read_stream(SectionType::kSharedMem, 1, [&](std::span<const std::byte> chunk) {
      most_threads = std::max(most_threads, thread_count());
      read.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    });
    ::_exit(read != data ? 2 : most_threads != 1 ? 3 : 0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // 2: contents differ, 3: threads were started
}
