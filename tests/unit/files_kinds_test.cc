#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>

#include "ckpt/fd_kinds.h"
#include "common/error.h"

using ckpt::dump::ConsoleId;
using ckpt::dump::describe_fd;
using ckpt::dump::FdFacts;
using ckpt::records::FileKind;

namespace {

FdFacts facts(std::string link, mode_t mode, uint32_t flags = O_RDONLY, nlink_t nlink = 1) {
  FdFacts f;
  f.pid = 42;
  f.fd = 7;
  f.link = std::move(link);
  f.st.st_mode = mode;
  f.st.st_nlink = nlink;
  f.st.st_ino = 555;
  f.st.st_dev = 3;
  f.info.flags = flags;
  return f;
}

}  // namespace

TEST_CASE("a socket is refused with one line naming pid, fd and type") {
  CHECK_THROWS_WITH(describe_fd(facts("socket:[12345]", S_IFSOCK | 0777), "/", {}),
                    "pid 42 fd 7: unsupported file type socket:[12345]");
}

TEST_CASE("event fds and /proc or /sys files get their own kinds") {
  CHECK(describe_fd(facts("anon_inode:[eventpoll]", 0600), "/", {}).kind == FileKind::kEpoll);
  CHECK(describe_fd(facts("anon_inode:[timerfd]", 0600), "/", {}).kind == FileKind::kTimerfd);
  CHECK(describe_fd(facts("anon_inode:[signalfd]", 0600), "/", {}).kind == FileKind::kSignalfd);
  CHECK(describe_fd(facts("anon_inode:inotify", 0600), "/", {}).kind == FileKind::kInotify);
  auto status = facts("/var/lib/ckpt/c1/rootfs/proc/7/status", S_IFREG | 0444);
  status.fs_magic = 0x9fa0;  // PROC_SUPER_MAGIC
  status.info.pos = 5;
  auto d = describe_fd(status, "/var/lib/ckpt/c1/rootfs", {});
  CHECK(d.kind == FileKind::kProcFile);
  CHECK(d.path == "/proc/7/status");
  CHECK(d.pos == 5);
  auto sys = facts("/sys/kernel/mm", S_IFDIR | 0755);
  sys.fs_magic = 0x62656572;  // SYSFS_MAGIC
  CHECK(describe_fd(sys, "/", {}).kind == FileKind::kProcFile);
}

TEST_CASE("a virtual console is refused") {
  auto tty = facts("/dev/tty1", S_IFCHR | 0620);  // ptys are supported (ckpt/ttys.h), VTs not
  tty.st.st_rdev = makedev(4, 1);
  CHECK_THROWS_WITH(describe_fd(tty, "/", {}), Catch::Contains("character device 4:1"));
}

TEST_CASE("a memfd is its own kind, not a deleted file, with flags and offset") {
  auto f = facts("/memfd:x (deleted)", S_IFREG | 0777, O_RDWR | O_CLOEXEC, 1);
  f.info.pos = 5;
  auto d = describe_fd(f, "/", {});
  CHECK(d.kind == FileKind::kMemfd);
  CHECK_FALSE(d.deleted);
  CHECK(d.flags == static_cast<uint32_t>(O_RDWR));
  CHECK(d.pos == 5);
}

TEST_CASE("a deleted file loses its mark and keeps path, flags without cloexec and offset") {
  auto f = facts("/tmp/data (deleted)", S_IFREG | 0640, O_RDWR | O_APPEND | O_CLOEXEC, 0);
  f.info.pos = 11;
  auto d = describe_fd(f, "/", {});
  CHECK(d.kind == FileKind::kRegular);
  CHECK(d.deleted);
  CHECK(d.path == "/tmp/data");
  CHECK(d.flags == static_cast<uint32_t>(O_RDWR | O_APPEND));
  CHECK(d.pos == 11);
  CHECK((d.mode & 07777) == 0640);
}

TEST_CASE("paths of a chrooted process are made relative to its root") {
  auto d = describe_fd(facts("/var/lib/ckpt/c1/rootfs/etc/hosts", S_IFREG | 0644),
                       "/var/lib/ckpt/c1/rootfs", {});
  CHECK(d.path == "/etc/hosts");
  auto outside = describe_fd(facts("/var/lib/ckpt/c1/rootfsX/a", S_IFREG | 0644),
                             "/var/lib/ckpt/c1/rootfs", {});
  CHECK(outside.path == "/var/lib/ckpt/c1/rootfsX/a");
}

TEST_CASE("pipes are identified by inode, FIFOs by path and inode") {
  auto pipe = describe_fd(facts("pipe:[555]", S_IFIFO | 0600, O_WRONLY), "/", {});
  CHECK(pipe.kind == FileKind::kPipe);
  CHECK(pipe.pipe_id == 555);
  CHECK(pipe.path.empty());
  auto fifo = describe_fd(facts("/run/fifo", S_IFIFO | 0600), "/", {});
  CHECK(fifo.kind == FileKind::kFifo);
  CHECK(fifo.pipe_id == 555);
  CHECK(fifo.path == "/run/fifo");
}

TEST_CASE("the console is recognised by identity, devices by number") {
  ckpt::dump::FdScope scope;
  scope.console = ConsoleId{true, 3, 555};
  CHECK(describe_fd(facts("/var/log/c1.log", S_IFREG | 0644, O_WRONLY), "/", scope).kind ==
        FileKind::kConsole);
  auto null = facts("/dev/null", S_IFCHR | 0666, O_RDWR);
  null.st.st_rdev = makedev(1, 3);
  auto d = describe_fd(null, "/", {});
  CHECK(d.kind == FileKind::kDevice);
  CHECK(d.rdev == makedev(1, 3));
}

TEST_CASE("an eventfd keeps its counter and semaphore mode") {
  auto f = facts("anon_inode:[eventfd]", 0600, O_RDWR | O_NONBLOCK);
  f.info.eventfd_count = 7;
  f.info.eventfd_semaphore = true;
  auto d = describe_fd(f, "/", {});
  CHECK(d.kind == FileKind::kEventfd);
  CHECK(d.eventfd_count == 7);
  CHECK(d.eventfd_semaphore);
}

TEST_CASE("a directory removed while open is a removed directory at its old path") {
  auto d = describe_fd(facts("/tmp/gone (deleted)", S_IFDIR | 0751, O_RDONLY, 0), "/", {});
  CHECK(d.kind == FileKind::kDirectory);
  CHECK(d.deleted);
  CHECK(d.path == "/tmp/gone");
  CHECK((d.mode & 07777) == 0751);
}

TEST_CASE("an O_PATH fd on a symlink is reopened by path; on a removed symlink it is refused") {
  auto d = describe_fd(facts("/tmp/link", S_IFLNK | 0777, O_PATH | O_NOFOLLOW), "/", {});
  CHECK(d.kind == FileKind::kRegular);
  CHECK_FALSE(d.deleted);
  CHECK((d.flags & O_PATH) != 0);
  CHECK_THROWS_WITH(describe_fd(facts("/tmp/link (deleted)", S_IFLNK | 0777, O_PATH, 0), "/", {}),
                    Catch::Contains("pid 42 fd 7: unsupported file type"));
}
