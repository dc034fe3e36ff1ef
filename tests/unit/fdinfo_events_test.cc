// Parsing the event-fd lines of fdinfo, as kernel 6.18 prints them.
#include <sys/epoll.h>
#include <sys/inotify.h>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/proc/fdinfo_events.h"

using namespace ckpt::proc;

TEST_CASE("epoll watches: fd number, events with flags, data, inode and device") {
  auto targets = parse_epoll_targets(
      "pos:\t0\nflags:\t02\nmnt_id:\t17\nino:\t1038\n"
      "tfd:        3 events: 80000019 data: 1122334455667788  pos:0 ino:dc7dc sdev:f\n"
      "tfd:       12 events:       19 data:                0  pos:0 ino:40e sdev:10\n");
  REQUIRE(targets.size() == 2);
  CHECK(targets[0].fd == 3);
  CHECK(targets[0].events == (EPOLLET | EPOLLIN | EPOLLERR | EPOLLHUP));
  CHECK(targets[0].data == 0x1122334455667788ull);
  CHECK(targets[0].ino == 0xdc7dc);
  CHECK(targets[0].sdev == 0xf);
  CHECK(targets[1].fd == 12);
  CHECK(targets[1].data == 0);
  CHECK(parse_epoll_targets("pos:\t0\nflags:\t02\n").empty());
  CHECK_THROWS_AS(parse_epoll_targets("tfd: 3 events: zz data: 0 pos:0 ino:1 sdev:1\n"),
                  ckpt::Error);
}

TEST_CASE("timerfd: clock, pending ticks, settime flags (octal), value and interval") {
  auto t = parse_timerfd(
      "pos:\t0\nflags:\t04002\nclockid: 0\nticks: 2\nsettime flags: 03\n"
      "it_value: (99, 177620741)\nit_interval: (1, 500)\n");
  CHECK(t.clock == 0);
  CHECK(t.ticks == 2);
  CHECK(t.settime_flags == 3);
  CHECK(t.value_ns == 99'177'620'741);
  CHECK(t.interval_ns == 1'000'000'500);
  CHECK_THROWS_AS(parse_timerfd("pos:\t0\nclockid: 1\n"), ckpt::Error);
}

TEST_CASE("signalfd mask is hexadecimal, bit n-1 for signal n") {
  CHECK(parse_signalfd_mask("pos:\t0\nflags:\t04002\nsigmask:\t0000000000000200\n") == 1u << 9);
  CHECK_THROWS_AS(parse_signalfd_mask("pos:\t0\n"), ckpt::Error);
}

TEST_CASE("inotify marks: wd, mask with flags, inode, device and file handle bytes") {
  auto marks = parse_inotify_marks(
      "pos:\t0\nflags:\t00\n"
      "inotify wd:2 ino:13 sdev:fe00000 mask:80000002 ignored_mask:0 fhandle-bytes:8 "
      "fhandle-type:1 f_handle:1300000000000000\n"
      "inotify wd:1 ino:3c51a sdev:fe00000 mask:100 ignored_mask:0\n");
  REQUIRE(marks.size() == 2);
  CHECK(marks[0].wd == 2);
  CHECK(marks[0].mask == (IN_ONESHOT | IN_MODIFY));
  CHECK(marks[0].ino == 0x13);
  CHECK(marks[0].sdev == 0xfe00000);
  CHECK(marks[0].handle_type == 1);
  CHECK(marks[0].handle == std::string("\x13\0\0\0\0\0\0\0", 8));
  CHECK(marks[1].wd == 1);
  CHECK(marks[1].handle.empty());
}

TEST_CASE("fanotify: init flags, and inode, mount and filesystem marks with both masks") {
  auto info = parse_fanotify(
      "pos:\t0\nflags:\t02004002\nmnt_id:\t17\nino:\t1038\n"
      "fanotify flags:213 event-flags:88000\n"
      "fanotify sdev:fe00000 mflags:0 mask:100 ignored_mask:0\n"
      "fanotify ino:a86914 sdev:fe00000 mflags:440 mask:0 ignored_mask:20 fhandle-bytes:8 "
      "fhandle-type:1 f_handle:1469a8000e05a1a9\n"
      "fanotify mnt_id:16 mflags:0 mask:38 ignored_mask:0\n");
  CHECK(info.flags == 0x213);
  CHECK(info.event_flags == 0x88000);
  REQUIRE(info.marks.size() == 3);
  using On = ckpt::proc::FanotifyMarkInfo::On;
  CHECK(info.marks[0].on == On::kFilesystem);
  CHECK(info.marks[0].inode.sdev == 0xfe00000);
  CHECK(info.marks[0].mask == 0x100);
  CHECK(info.marks[1].on == On::kInode);
  CHECK(info.marks[1].inode.ino == 0xa86914);
  CHECK(info.marks[1].inode.handle.size() == 8);
  CHECK(info.marks[1].mflags == 0x440);
  CHECK(info.marks[1].ignored_mask == 0x20);
  CHECK(info.marks[2].on == On::kMount);
  CHECK(info.marks[2].mnt_id == 0x16);
  CHECK(info.marks[2].mask == 0x38);
  CHECK_THROWS_AS(parse_fanotify("pos:\t0\n"), ckpt::Error);
}

TEST_CASE("one fanotify mark line parses alone; the group's own line is no mark") {
  auto mark =
      ckpt::proc::parse_fanotify_mark("fanotify mnt_id:2d mflags:200 mask:40000031 ignored_mask:31");
  CHECK(mark.on == ckpt::proc::FanotifyMarkInfo::On::kMount);
  CHECK(mark.mnt_id == 0x2d);
  CHECK(mark.mflags == 0x200);
  CHECK(mark.mask == 0x40000031);
  CHECK(mark.ignored_mask == 0x31);
  CHECK_THROWS_AS(ckpt::proc::parse_fanotify_mark("inotify wd:1 ino:2 sdev:3 mask:1"), ckpt::Error);
}
