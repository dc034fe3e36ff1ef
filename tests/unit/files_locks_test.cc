// File locks as /proc shows them: the lock lines of fdinfo and /proc/locks, each lock attributed
// once to its owner (the process for POSIX, the description otherwise), and a lock no fd shows.
#include <fcntl.h>

#include <catch2/catch.hpp>

#include "ckpt/fd_kinds.h"
#include "ckpt/files_locks.h"
#include "common/error.h"
#include "common/proc/fdinfo.h"

using ckpt::dump::FdFacts;
using ckpt::dump::FileLocksCollector;
using ckpt::proc::LockKind;
using ckpt::proc::parse_lock_line;
using ckpt::records::FileLockKind;

TEST_CASE("a POSIX lock line gives kind, type, owner, inode and an inclusive range") {
  auto lock = parse_lock_line("1: POSIX  ADVISORY  WRITE 19667 fe:00:10954306 0 99");
  CHECK(lock.kind == LockKind::kPosix);
  CHECK(lock.write);
  CHECK(lock.pid == 19667);
  CHECK(lock.dev_major == 0xfe);
  CHECK(lock.dev_minor == 0);
  CHECK(lock.ino == 10954306);
  CHECK(lock.start == 0);
  REQUIRE(lock.end.has_value());
  CHECK(*lock.end == 99);
  auto to_eof = parse_lock_line("\t2: POSIX  ADVISORY  READ 19667 fe:00:10954306 200 EOF");
  CHECK_FALSE(to_eof.write);
  CHECK_FALSE(to_eof.end.has_value());
}

TEST_CASE("OFD, flock, lease and blocked lock lines are told apart") {
  CHECK(parse_lock_line("4: OFDLCK ADVISORY  WRITE -1 fe:00:10954321 10 19").pid == -1);
  CHECK(parse_lock_line("3: FLOCK  ADVISORY  WRITE 19667 fe:00:1 0 EOF").kind == LockKind::kFlock);
  auto lease = parse_lock_line("2: LEASE  ACTIVE    READ 19667 fe:00:1 0 EOF");
  CHECK(lease.kind == LockKind::kLease);
  CHECK(lease.active);
  CHECK_FALSE(parse_lock_line("2: LEASE  BREAKING  UNLCK 1 fe:00:1 0 EOF").active);
  CHECK(parse_lock_line("1: -> POSIX  ADVISORY  WRITE 5 08:01:7 0 EOF").waiter);
  CHECK_THROWS_AS(parse_lock_line("1: POSIX ADVISORY"), ckpt::Error);
}

TEST_CASE("fdinfo lists the locks held through the fd") {
  auto info = ckpt::proc::parse_fdinfo(
      "pos:\t0\nflags:\t0100002\nmnt_id:\t27\nino:\t5\n"
      "lock:\t1: POSIX  ADVISORY  WRITE 7 fe:00:5 0 99\n"
      "lock:\t2: POSIX  ADVISORY  READ 7 fe:00:5 200 EOF\n");
  REQUIRE(info.locks.size() == 2);
  CHECK(info.locks[1].start == 200);
}

namespace {

FdFacts fd_with_locks(pid_t pid, int fd, std::vector<const char*> lines) {
  FdFacts facts;
  facts.pid = pid;
  facts.fd = fd;
  for (const char* line : lines) facts.info.locks.push_back(parse_lock_line(line));
  return facts;
}

}  // namespace

TEST_CASE("a lock seen through several fds of its owner is kept once") {
  FileLocksCollector collector;
  const char* posix = "1: POSIX  ADVISORY  WRITE 100 fe:00:5 0 99";
  const char* flock = "2: FLOCK  ADVISORY  WRITE 100 fe:00:6 0 EOF";
  collector.add_fd(fd_with_locks(100, 3, {posix}), 1, 10);
  collector.add_fd(fd_with_locks(100, 4, {posix}), 1, 10);  // dup of fd 3
  collector.add_fd(fd_with_locks(100, 5, {flock}), 1, 11);
  collector.add_fd(fd_with_locks(101, 5, {flock}), 2, 11);  // inherited by the child
  auto state = collector.finish({{100, 1}, {101, 2}});
  REQUIRE(state.locks.size() == 2);
  CHECK(state.locks[0].kind == FileLockKind::kPosix);
  CHECK(state.locks[0].ns_pid == 1);
  CHECK(state.locks[0].fd == 3);
  CHECK(state.locks[0].length == 100);
  CHECK(state.locks[1].kind == FileLockKind::kFlock);
  CHECK(state.locks[1].description == 11);
}

TEST_CASE("a lock of a container process that no fd shows refuses the dump") {
  FileLocksCollector collector;
  collector.add_fd(fd_with_locks(100, 3, {"1: POSIX  ADVISORY  WRITE 100 fe:00:5 0 99"}), 1, 10);
  std::string proc_locks =
      "1: POSIX  ADVISORY  WRITE 100 fe:00:5 0 99\n"
      "2: FLOCK  ADVISORY  WRITE 100 fe:00:9 0 EOF\n"
      "3: POSIX  ADVISORY  WRITE 555 fe:00:9 0 EOF\n";  // another process's: not ours
  CHECK_THROWS_WITH(ckpt::dump::check_every_lock_seen(proc_locks, {100}, collector.seen()),
                    Catch::Contains("pid 100: FLOCK WRITE 0-EOF on fe:00:9 is held through no fd"));
  CHECK_NOTHROW(ckpt::dump::check_every_lock_seen(proc_locks.substr(0, proc_locks.find('\n') + 1),
                                                  {100}, collector.seen()));
}

TEST_CASE("a lease being broken refuses the dump naming pid and fd") {
  FileLocksCollector collector;
  CHECK_THROWS_WITH(
      collector.add_fd(fd_with_locks(100, 6, {"1: LEASE  BREAKING  UNLCK 100 fe:00:1 0 EOF"}), 1, 3),
      Catch::Contains("pid 100 fd 6: a lease being broken"));
}

TEST_CASE("a POSIX lock in an fd table two processes share is the one's that took it") {
  // 101 shares the fd table of 100 (clone CLONE_FILES) and took the lock: both fdinfo show it.
  FileLocksCollector collector;
  const char* posix = "1: POSIX  ADVISORY  WRITE 101 fe:00:5 0 EOF";
  collector.add_fd(fd_with_locks(100, 7, {posix}), 1, 10);
  collector.add_fd(fd_with_locks(101, 7, {posix}), 2, 10);
  auto state = collector.finish({{100, 1}, {101, 2}});
  REQUIRE(state.locks.size() == 1);
  CHECK(state.locks[0].ns_pid == 2);
  CHECK(state.locks[0].fd == 7);
}
