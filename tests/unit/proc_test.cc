#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/proc/mountinfo.h"
#include "common/proc/pid_status.h"
#include "common/proc/tasks.h"

using namespace ckpt;

namespace {
const std::filesystem::path kProc = std::filesystem::path(CKPT_FIXTURES) / "proc";
}

TEST_CASE("status gives the ids in every pid namespace, innermost last") {
  auto st = proc::read_pid_status(4242, kProc);
  CHECK(st.name == "python3");
  CHECK(st.state == 'S');
  CHECK(st.tgid == 4242);
  CHECK(st.ppid == 4200);
  CHECK(st.threads == 2);
  CHECK(st.ns_pid == std::vector<pid_t>{4242, 7});
  CHECK(st.ns_pgid.back() == 1);
  CHECK(st.ns_sid.back() == 1);
  CHECK(st.umask == 022);
  CHECK(st.uids == std::vector<uid_t>{0, 0, 0, 0});
  CHECK(st.sig_ignored == 0x1001000);      // SIGPIPE, SIGXFSZ: bit N-1 for signal N
  CHECK(st.sig_caught == 0x180000002ull);  // SIGINT, 32 and 33
}

TEST_CASE("status without Pid is refused, naming the file") {
  CHECK_THROWS_WITH(proc::parse_pid_status("Name:\tx\n", "/proc/1/status"),
                    Catch::Contains("/proc/1/status"));
}

TEST_CASE("status of a missing process throws ckpt::Error") {
  CHECK_THROWS_AS(proc::read_pid_status(999999, kProc), Error);
}

TEST_CASE("threads, children of every thread, and the command line") {
  CHECK(proc::list_threads(4242, kProc) == std::vector<pid_t>{4242, 4250});
  CHECK(proc::list_children(4242, kProc) == std::vector<pid_t>{4301, 4302, 4303});
  CHECK(proc::read_cmdline(4242, kProc) == std::vector<std::string>{"python3", "-c", "print(1)"});
}

TEST_CASE("a path is seen relative to a process's root only when below it") {
  CHECK(proc::path_in_root("/srv/c1/rootfs/etc/hosts", "/srv/c1/rootfs") == "/etc/hosts");
  CHECK(proc::path_in_root("/srv/c1/rootfs", "/srv/c1/rootfs") == "/");
  CHECK(proc::path_in_root("/srv/c1/rootfs2/a", "/srv/c1/rootfs") == "/srv/c1/rootfs2/a");
  CHECK(proc::path_in_root("/etc/hosts", "/") == "/etc/hosts");
  CHECK(proc::path_in_root("socket:[123]", "/srv/c1/rootfs") == "socket:[123]");
}

TEST_CASE("status gives the supplementary groups, capability sets and NoNewPrivs") {
  auto st = proc::parse_pid_status(
      "Name:\tnginx\nPid:\t9\nTgid:\t9\nUid:\t33\t33\t33\t33\nGid:\t33\t33\t33\t33\n"
      "Groups:\t4 27 33 \nCapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\n"
      "CapEff:\t0000000000000400\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n"
      "NoNewPrivs:\t1\n",
      "status");
  CHECK(st.groups == std::vector<gid_t>{4, 27, 33});
  CHECK(st.cap_inheritable == 0);
  CHECK(st.cap_permitted == 0xa80425fbull);
  CHECK(st.cap_effective == 0x400);
  CHECK(st.cap_bounding == 0x1ffffffffffull);
  CHECK(st.no_new_privs);
  CHECK_FALSE(proc::parse_pid_status("Pid:\t9\nTgid:\t9\nNoNewPrivs:\t0\n", "s").no_new_privs);
}
