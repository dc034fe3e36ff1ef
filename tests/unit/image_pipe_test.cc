// "-" paths: the writer streams to stdout, the reader takes stdin (a pipe, not seekable).
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>

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

// A child process that runs `write(fd)` into a pipe and exits (status 1 if it threw); returns
// its pid and the pipe's read end.
template <typename F>
std::pair<pid_t, int> piped_child(F write) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    int rc = 0;
    try {
      write(fds[1]);
    } catch (...) {
      rc = 1;
    }
    ::_exit(rc);
  }
  ::close(fds[1]);
  return {child, fds[0]};
}

}  // namespace

TEST_CASE("image: written to stdout through a pipe, read back from stdin") {
  std::string pages = half_random_pages(300, 5);  // more than a pipe buffer
  WriterOptions o;
  o.chunk_size = 64 << 10;
  auto [child, fd] = piped_child([&](int out) {
    ::dup2(out, STDOUT_FILENO);
    ::close(out);
    ImageWriter w("-", test_header(), o);
    w.put_bytes(SectionType::kFileData, 3, std::string("hello"));
    auto s = w.open_stream(SectionType::kPages, 3);
    s->write(pages.data(), pages.size());
    s->close();
    w.finish();
  });
  std::string got_pages, got_hello;
  with_fd_as(STDIN_FILENO, fd, [&] {
    ImageReader r("-");
    r.verify();
    got_hello = r.get_bytes(SectionType::kFileData, 3);
    got_pages = r.get_bytes(SectionType::kPages, 3);
  });
  ::close(fd);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(got_hello == "hello");
  CHECK(got_pages == pages);
}

namespace {

// A stream-ordered image (as `dump -o -` writes it): its records, then page streams 4 and 3.
std::string stream_ordered_image(const std::string& pages3, const std::string& pages4,
                                 const std::string& path) {
  WriterOptions o;
  o.chunk_size = 64 << 10;
  {
    ImageWriter w(path, test_header(), o);
    w.put_bytes(SectionType::kStreamOrder, 0, std::string());
    w.put_bytes(SectionType::kFileData, 3, std::string("hello"));
    for (auto [id, pages] : {std::pair<uint64_t, const std::string*>{4, &pages4}, {3, &pages3}}) {
      auto s = w.open_stream(SectionType::kPages, id);
      s->write(pages->data(), pages->size());
      s->close();
    }
    w.finish();
  }
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs `body` with stdin a pipe that a child process fills with `bytes`, then closes.
template <typename F>
void with_piped_stdin(const std::string& bytes, F body) {
  auto [child, fd] = piped_child([&](int out) {
    for (size_t done = 0; done < bytes.size();) {
      ssize_t n = ::write(out, bytes.data() + done, bytes.size() - done);
      if (n <= 0) throw std::runtime_error("write");
      done += static_cast<size_t>(n);
    }
  });
  with_fd_as(STDIN_FILENO, fd, body);
  ::close(fd);  // a reader that failed early: the writer gets EPIPE
  ::waitpid(child, nullptr, 0);
}

}  // namespace

TEST_CASE("image: a stream-ordered image is read while it arrives, page streams in any order") {
  TempDir dir;
  std::string pages3 = half_random_pages(100, 7), pages4 = half_random_pages(60, 8);
  std::string bytes = stream_ordered_image(pages3, pages4, dir.file("s.ckpt"));
  std::string got3, got4;
  with_piped_stdin(bytes, [&] {
    ImageReader r("-", PipeMode::kStream);
    CHECK(r.sections().size() == 2);  // the records only, so far
    r.verify();
    CHECK(r.get_bytes(SectionType::kFileData, 3) == "hello");
    // 3 comes after 4: asking for it first holds 4 in memory
    r.read_stream(SectionType::kPages, 3,
                  [&](std::span<const std::byte> c) { got3.append(reinterpret_cast<const char*>(c.data()), c.size()); });
    got4.resize(pages4.size());
    r.read_stream_parallel(SectionType::kPages, 4, [&](uint64_t at, std::span<const std::byte> c) {
      std::memcpy(got4.data() + at, c.data(), c.size());
    });
    r.finish_reading();
    CHECK(r.file_size() == bytes.size());
    CHECK(r.has(SectionType::kPages, 3));
  });
  CHECK(got3 == pages3);
  CHECK(got4 == pages4);
}

TEST_CASE("image: a truncated or damaged stream fails as a damaged image") {
  TempDir dir;
  std::string pages3 = half_random_pages(100, 7), pages4 = half_random_pages(60, 8);
  std::string bytes = stream_ordered_image(pages3, pages4, dir.file("s.ckpt"));
  auto read_all = [] {
    ImageReader r("-", PipeMode::kStream);
    r.verify();
    for (uint64_t id : {4, 3}) r.read_stream(SectionType::kPages, id, [](auto) {});
    r.finish_reading();
  };
  for (size_t keep : {size_t{10}, size_t{200}, bytes.size() / 2, bytes.size() - 17, bytes.size() - 1}) {
    CAPTURE(keep);
    with_piped_stdin(bytes.substr(0, keep), [&] {
      CHECK_THROWS_WITH(read_all(), Catch::Contains("-: ") && Catch::Contains("truncated"));
    });
  }
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 4;
  with_piped_stdin(flipped, [&] { CHECK_THROWS_WITH(read_all(), Catch::Contains("mismatch")); });
  with_piped_stdin(bytes + "x", [&] { CHECK_THROWS_WITH(read_all(), Catch::Contains("trailing data")); });
}

TEST_CASE("image: an image not laid out for streaming is still read from a pipe") {
  TempDir dir;
  std::string path = dir.file("old.ckpt");
  {
    ImageWriter w(path, test_header());
    w.put_bytes(SectionType::kFileData, 3, std::string("hello"));
    w.finish();
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  with_piped_stdin(bytes, [&] {
    ImageReader r("-", PipeMode::kStream);
    r.verify();
    CHECK(r.get_bytes(SectionType::kFileData, 3) == "hello");
    r.finish_reading();
    CHECK(r.file_size() == bytes.size());
  });
}

TEST_CASE("image: a streamed image spooled after its records is read as a file") {
  TempDir dir;
  std::string pages3 = half_random_pages(100, 7), pages4 = half_random_pages(60, 8);
  std::string bytes = stream_ordered_image(pages3, pages4, dir.file("s.ckpt"));
  std::string got3;
  with_piped_stdin(bytes, [&] {
    ImageReader r("-", PipeMode::kStream);
    r.verify();
    CHECK(r.get_bytes(SectionType::kFileData, 3) == "hello");
    r.spool_rest();  // what came (the records) and the rest, in a temp file
    CHECK(r.file_size() == bytes.size());
    CHECK(r.has(SectionType::kPages, 4));
    r.verify();
    CHECK(r.get_bytes(SectionType::kFileData, 3) == "hello");
    r.read_stream(SectionType::kPages, 3, [&](std::span<const std::byte> c) {
      got3.append(reinterpret_cast<const char*>(c.data()), c.size());
    });
    r.finish_reading();
  });
  CHECK(got3 == pages3);
  with_piped_stdin(bytes, [&] {  // not once a page stream came: it is gone from the pipe
    ImageReader r("-", PipeMode::kStream);
    r.read_stream(SectionType::kPages, 4, [](auto) {});
    CHECK_THROWS_WITH(r.spool_rest(), Catch::Contains("spooled after a page stream"));
  });
}
