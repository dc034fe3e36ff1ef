#include <fcntl.h>

#include <catch2/catch.hpp>

#include "ckpt/files_collect.h"
#include "common/error.h"
#include "common/proc/fdinfo.h"
#include "common/proc/pid_status.h"

using ckpt::proc::parse_fdinfo;

TEST_CASE("fdinfo of a regular file gives offset and status flags with close-on-exec") {
  auto info = parse_fdinfo("pos:\t4\nflags:\t02102002\nmnt_id:\t27\nino:\t10953017\n");
  CHECK(info.pos == 4);
  CHECK((info.flags & O_ACCMODE) == O_RDWR);
  CHECK((info.flags & O_APPEND) != 0);
  CHECK((info.flags & O_CLOEXEC) != 0);
  CHECK(info.mnt_id == 27);
  CHECK(info.ino == 10953017);
  CHECK_FALSE(info.eventfd_count.has_value());
}

TEST_CASE("fdinfo of an eventfd gives its hexadecimal count and semaphore mode") {
  auto info = parse_fdinfo(
      "pos:\t0\nflags:\t02004002\nmnt_id:\t17\nino:\t1038\n"
      "eventfd-count:               1f\neventfd-id: 1\neventfd-semaphore: 1\n");
  REQUIRE(info.eventfd_count.has_value());
  CHECK(*info.eventfd_count == 31);
  CHECK(info.eventfd_semaphore);
  CHECK((info.flags & O_NONBLOCK) != 0);
}

TEST_CASE("fdinfo without flags or with a malformed offset is refused") {
  CHECK_THROWS_AS(parse_fdinfo("pos:\t0\nmnt_id:\t3\n"), ckpt::Error);
  CHECK_THROWS_WITH(parse_fdinfo("pos:\tx1\nflags:\t02\n"), Catch::Contains("pos"));
}

TEST_CASE("the ns pid is the last NSpid field, else the pid") {
  auto innermost = [](const std::string& text) {
    return ckpt::proc::innermost_pid(ckpt::proc::parse_pid_status(text, "status"));
  };
  CHECK(innermost("Name:\tsh\nTgid:\t4242\nPid:\t4242\nNSpid:\t4242\t17\t1\nPPid:\t1\n") == 1);
  CHECK(innermost("Tgid:\t99\nPid:\t99\nNSpid:\t99\n") == 99);
  CHECK(innermost("Name:\tsh\nTgid:\t5\nPid:\t5\n") == 5);  // no NSpid (kernels before 4.1)
  CHECK_THROWS_AS(innermost("Name:\tsh\n"), ckpt::Error);
}
