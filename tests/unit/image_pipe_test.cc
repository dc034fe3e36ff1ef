// "-" paths: the writer streams to stdout, the reader takes stdin (a pipe, not seekable).
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "image_test_support.h"

using namespace ckpt::image;
using namespace ckpt::image::testing;

namespace {

// Runs `body` with fd `target` temporarily replaced by `fd`.
template <typename F>
void with_fd_as(int target, int fd, F body) {
  int saved = ::dup(target);
  REQUIRE(saved >= 0);
  REQUIRE(::dup2(fd, target) == target);
  try {
    body();
  } catch (...) {
    ::dup2(saved, target);
    ::close(saved);
    throw;
  }
  ::dup2(saved, target);
  ::close(saved);
}

}  // namespace

TEST_CASE("image: written to stdout through a pipe, read back from stdin") {
  std::string pages = half_random_pages(300, 5);  // more than a pipe buffer
  WriterOptions o;
  o.chunk_size = 64 << 10;
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    int rc = 0;
    try {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[1]);
      ImageWriter w("-", test_header(), o);
      w.put_bytes(SectionType::kFileData, 3, std::string("hello"));
      auto s = w.open_stream(SectionType::kPages, 3);
      s->write(pages.data(), pages.size());
      s->close();
      w.finish();
    } catch (...) {
      rc = 1;
    }
    ::_exit(rc);
  }
  ::close(fds[1]);
  std::string got_pages, got_hello;
  with_fd_as(STDIN_FILENO, fds[0], [&] {
    ImageReader r("-");
    r.verify();
    got_hello = r.get_bytes(SectionType::kFileData, 3);
    got_pages = r.get_bytes(SectionType::kPages, 3);
  });
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(got_hello == "hello");
  CHECK(got_pages == pages);
}
