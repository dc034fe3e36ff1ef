#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "runtime/attach.h"
#include "ckpt/fd_kinds.h"
#include "ckpt/ttys.h"
#include "common/records/ttys.h"
#include "common/scm_rights.h"
#include "image_test_support.h"

using ckpt::records::FileKind;

namespace {

struct stat char_device(unsigned major_number, unsigned minor_number) {
  struct stat st {};
  st.st_mode = S_IFCHR | 0620;
  st.st_rdev = makedev(major_number, minor_number);
  st.st_nlink = 1;
  return st;
}

}  // namespace

TEST_CASE("ttys: ptmx is a pty master, /dev/pts/N and /dev/tty slaves, other devices neither") {
  CHECK(ckpt::dump::pty_kind(char_device(5, 2)) == FileKind::kPtyMaster);
  CHECK(ckpt::dump::pty_kind(char_device(136, 4)) == FileKind::kPtySlave);
  CHECK(ckpt::dump::pty_kind(char_device(143, 255)) == FileKind::kPtySlave);
  CHECK_FALSE(ckpt::dump::pty_kind(char_device(1, 3)).has_value());       // /dev/null
  CHECK(ckpt::dump::pty_kind(char_device(5, 0)) == FileKind::kPtySlave);  // /dev/tty
  CHECK_FALSE(ckpt::dump::pty_kind(char_device(4, 1)).has_value());       // /dev/tty1
  struct stat dir {};
  dir.st_mode = S_IFDIR | 0755;
  dir.st_rdev = makedev(136, 1);
  CHECK_FALSE(ckpt::dump::pty_kind(dir).has_value());
}

TEST_CASE("ttys: slave indexes past 255 use the next major") {
  CHECK(ckpt::dump::slave_index(makedev(136, 0)) == 0);
  CHECK(ckpt::dump::slave_index(makedev(136, 17)) == 17);
  CHECK(ckpt::dump::slave_index(makedev(137, 3)) == 259);
}

TEST_CASE("ttys: a pty fd is described as its kind with its path, not refused") {
  ckpt::dump::FdFacts facts;
  facts.pid = 42;
  facts.fd = 0;
  facts.link = "/dev/pts/3";
  facts.st = char_device(136, 3);
  facts.info.flags = O_RDWR;
  auto d = ckpt::dump::describe_fd(facts, "/", {});
  CHECK(d.kind == FileKind::kPtySlave);
  CHECK(d.path == "/dev/pts/3");
  CHECK(d.rdev == makedev(136, 3));
}

TEST_CASE("attach: Ctrl-P Ctrl-Q detaches, other bytes pass, also split across reads") {
  using ckpt::runtime::DetachKeys;
  DetachKeys plain;
  CHECK(plain.filter("ls -l\r") == "ls -l\r");
  CHECK_FALSE(plain.detached());

  DetachKeys lone;  // a Ctrl-P not followed by Ctrl-Q is passed on with the next byte
  CHECK(lone.filter("a\x10") == "a");
  CHECK(lone.filter("b") ==
        "\x10"
        "b");
  CHECK_FALSE(lone.detached());

  DetachKeys split;
  CHECK(split.filter("x\x10") == "x");
  CHECK(split.filter("\x11y").empty());
  CHECK(split.detached());

  DetachKeys twice;  // Ctrl-P Ctrl-P Ctrl-Q: the first Ctrl-P is data
  CHECK(twice.filter("\x10\x10\x11") == "\x10");
  CHECK(twice.detached());
}

TEST_CASE("ttys: the record round-trips through an image") {
  ckpt::image::testing::TempDir dir;
  std::string path = dir.file("ttys.ckpt");
  ckpt::records::TtysState state;
  ckpt::records::Pty pty;
  pty.index = 1;
  pty.termios.lflag = 0x8a3b;
  pty.termios.cc = std::vector<uint8_t>(19, 7);
  pty.window = {45, 123, 0, 0};
  pty.session = 5;
  pty.foreground = 9;
  pty.console = true;
  state.ptys.push_back(pty);
  state.files.push_back({3, 1, true});
  {
    ckpt::image::ImageWriter w(path, ckpt::image::testing::test_header());
    w.put(ckpt::image::SectionType::kTtys, 0, state);
    w.finish();
  }
  ckpt::image::ImageReader r(path);
  auto back = r.get<ckpt::records::TtysState>(ckpt::image::SectionType::kTtys, 0);
  REQUIRE(back.ptys.size() == 1);
  CHECK(back.ptys[0].index == 1);
  CHECK(back.ptys[0].termios.lflag == 0x8a3b);
  CHECK(back.ptys[0].termios.cc == std::vector<uint8_t>(19, 7));
  CHECK(back.ptys[0].window.cols == 123);
  CHECK(back.ptys[0].window.rows == 45);
  CHECK(back.ptys[0].session == 5);
  CHECK(back.ptys[0].foreground == 9);
  CHECK(back.ptys[0].console);
  REQUIRE(back.files.size() == 1);
  CHECK(back.files[0].description == 3);
  CHECK(back.files[0].master);
}

TEST_CASE("scm_rights: an fd sent over a socketpair arrives as the same file") {
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
  ckpt::UniqueFd a(pair[0]), b(pair[1]);
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  ckpt::UniqueFd rd(pipe_fds[0]), wr(pipe_fds[1]);
  ckpt::send_fd(a.get(), wr.get());
  ckpt::UniqueFd got = ckpt::receive_fd(b.get());
  REQUIRE(::write(got.get(), "hi", 2) == 2);
  char buf[2];
  REQUIRE(::read(rd.get(), buf, 2) == 2);
  CHECK(std::string(buf, 2) == "hi");
  CHECK((::fcntl(got.get(), F_GETFD) & FD_CLOEXEC) != 0);
  CHECK_THROWS_WITH(ckpt::receive_fd(b.get(), /*dont_wait=*/true),
                    Catch::Contains("receive an fd"));
  a.reset();
  CHECK_THROWS_WITH(ckpt::receive_fd(b.get()), Catch::Contains("closed it without sending"));
}
