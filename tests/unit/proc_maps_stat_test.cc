#include <catch2/catch.hpp>

#include "common/proc/maps.h"
#include "common/proc/stat.h"
#include "common/ptrace/tracee.h"

using namespace ckpt;

TEST_CASE("maps lines and smaps VmFlags parse into entries") {
  auto maps = proc::parse_maps(
      "55d0c0a00000-55d0c0a01000 r-xp 00001000 fe:01 1234                       /usr/bin/x y\n"
      "Size:                  4 kB\n"
      "VmFlags: rd ex mr mw me sd\n"
      "7ffd1000-7ffd3000 rw-p 00000000 00:00 0                          [stack]\n"
      "VmFlags: rd wr mr mw me gd ac\n"
      "7f0000000000-7f0000001000 rw-s 00000000 00:01 77 /dev/zero (deleted)\n");
  REQUIRE(maps.size() == 3);
  CHECK(maps[0].start == 0x55d0c0a00000);
  CHECK(maps[0].exec);
  CHECK_FALSE(maps[0].write);
  CHECK(maps[0].offset == 0x1000);
  CHECK(maps[0].dev_major == 0xfe);
  CHECK(maps[0].inode == 1234);
  CHECK(maps[0].name == "/usr/bin/x y");
  CHECK(maps[1].name == "[stack]");
  CHECK(maps[1].has_flag("gd"));
  CHECK_FALSE(maps[0].has_flag("gd"));
  CHECK(maps[2].shared);
  CHECK(maps[2].name == "/dev/zero (deleted)");
}

TEST_CASE("stat fields survive a comm with spaces and parentheses") {
  std::string line = "42 (a (b) c) S 1 42 42 0 -1 4194560";
  for (int field = 10; field <= 52; ++field) line += " " + std::to_string(field * 1000);
  proc::Stat stat = proc::parse_stat(line);
  CHECK(stat.comm == "a (b) c");
  CHECK(stat.state == 'S');
  CHECK(stat.ppid == 1);
  CHECK(stat.pgrp == 42);
  CHECK(stat.start_code == 26000);
  CHECK(stat.exit_signal == 38000);
  CHECK(stat.start_brk == 47000);
  CHECK(stat.env_end == 51000);
}

TEST_CASE("an interrupted system call is re-entered the way the kernel would") {
  user_regs_struct regs{};
  regs.orig_rax = 35;  // nanosleep
  regs.rip = 0x1002;
  regs.rax = static_cast<uint64_t>(-516);  // -ERESTART_RESTARTBLOCK
  auto original = ptrace::with_syscall_restarted(regs, true);
  CHECK(original.rip == 0x1000);
  CHECK(original.rax == 219);  // restart_syscall: the kernel still has the restart block
  auto restored = ptrace::with_syscall_restarted(regs, false);
  CHECK(restored.rax == 35);             // a restored process re-runs the call itself
  regs.rax = static_cast<uint64_t>(-4);  // -EINTR: delivered as it is
  CHECK(ptrace::with_syscall_restarted(regs, true).rip == 0x1002);
}
