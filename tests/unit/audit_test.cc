// The audit (`ckpt restore --check`): normalisation of /proc text, the comparison of recorded
// facts, and the collector on a live child process whose state is changed on purpose.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "common/audit/collect.h"
#include "common/audit/compare.h"
#include "common/audit/normalize.h"
#include "common/proc/key_value.h"

using namespace ckpt;
using audit::AuditDifference;

TEST_CASE("audit: fdinfo lines lose what any restore changes, keep the state", "[audit]") {
  using audit::normalize_fdinfo_value;
  CHECK(normalize_fdinfo_value("mnt_id", "29") == std::nullopt);
  CHECK(normalize_fdinfo_value("ino", "1234") == std::nullopt);
  CHECK(normalize_fdinfo_value("eventfd-id", "5") == std::nullopt);
  CHECK(normalize_fdinfo_value("flags", "02100002") == "02100002");
  CHECK(normalize_fdinfo_value("eventfd-count", "               7") == "7");
  CHECK(normalize_fdinfo_value("tfd", "5 events:       19 data:                5  pos:0 ino:1a2b "
                                      "sdev:f") == "5 events: 19 data: 5 pos:0");
  CHECK(normalize_fdinfo_value("inotify wd", "1 ino:9 sdev:800001 mask:fce ignored_mask:0 "
                                             "fhandle-bytes:8 fhandle-type:1 f_handle:0900") ==
        "1 mask:fce ignored_mask:0");
  CHECK(normalize_fdinfo_value("fanotify ino", "9 sdev:800001 mflags:0 mask:3b ignored_mask:0 "
                                               "fhandle-bytes:8 fhandle-type:1 f_handle:0900") ==
        "mflags:0 mask:3b ignored_mask:0");
  CHECK(normalize_fdinfo_value("fanotify mnt_id", "2a mflags:0 mask:1 ignored_mask:0") ==
        "mflags:0 mask:1 ignored_mask:0");
  CHECK(normalize_fdinfo_value("fanotify flags", "10 event-flags:8002") ==
        "10 event-flags:8002");
  CHECK(normalize_fdinfo_value("it_value", "(0, 0)") == "disarmed");
  CHECK(normalize_fdinfo_value("it_value", "(0, 4999)") == "armed");
  CHECK(normalize_fdinfo_value("ticks", "3") == "some");
  CHECK(normalize_fdinfo_value("lock", "1: FLOCK  ADVISORY  WRITE 3253 00:1a:1234 0 EOF") ==
        "FLOCK ADVISORY WRITE 0 EOF");
}

TEST_CASE("audit: pending sets lose the interval timers' signals, keep the others", "[audit]") {
  using audit::pending_without_timer_signals;
  // SIGUSR2 (12) and SIGALRM (14) pending: only SIGUSR2 is compared.
  CHECK(pending_without_timer_signals("0000000000002800") == "0000000000000800");
  CHECK(pending_without_timer_signals("0000000000000800") == "0000000000000800");
  // SIGVTALRM (26) and SIGPROF (27) go too; SIGCHLD (17) stays.
  CHECK(pending_without_timer_signals("0000000006010000") == "0000000000010000");
  CHECK(pending_without_timer_signals("") == "");
  CHECK(pending_without_timer_signals("not hex") == "not hex");
}

TEST_CASE("audit: /proc/locks lines give owner, file and the lock without them", "[audit]") {
  auto lock = audit::parse_lock_line("2: POSIX  ADVISORY  READ  812 fe:01:393219 100 199");
  REQUIRE(lock);
  CHECK(lock->pid == 812);
  CHECK(lock->dev_ino == "fe:01:393219");
  CHECK(lock->text == "POSIX ADVISORY READ 100 199");
  auto blocked = audit::parse_lock_line("2: -> FLOCK  ADVISORY  WRITE 813 fe:01:393219 0 EOF");
  REQUIRE(blocked);
  CHECK(blocked->pid == 813);
  CHECK(blocked->text == "-> FLOCK ADVISORY WRITE 0 EOF");
  CHECK(audit::parse_lock_line("garbage") == std::nullopt);
  CHECK(audit::lock_dev_ino(makedev(0xfe, 1), 393219) == "fe:01:393219");
}

TEST_CASE("audit: host paths of the container become the same names on both sides", "[audit]") {
  CHECK(audit::normalize_fd_target("pipe:[81234]") == "pipe");
  CHECK(audit::normalize_fd_target("socket:[5]") == "socket");
  CHECK(audit::normalize_fd_target("/tmp/#10952768 (deleted)") == "/tmp/#<inode> (deleted)");
  CHECK(audit::normalize_fd_target("/tmp/#notes (deleted)") == "/tmp/#notes (deleted)");
  CHECK(audit::normalize_fd_target("anon_inode:[eventfd]") == "anon_inode:[eventfd]");
  CHECK(audit::normalize_cgroup_path("/ckpt/web/sub", "ckpt/web") == "<container>/sub");
  CHECK(audit::normalize_cgroup_path("/ckpt/web", "ckpt/web") == "<container>");
  CHECK(audit::normalize_cgroup_path("/ckpt/webx", "ckpt/web") == "/ckpt/webx");
  CHECK(audit::kept_vm_flags({"rd", "wr", "uw", "sd", "mr", "ac"}) == "rd wr mr");
  auto lines = proc::key_value_lines("Name:\tsh\nSigBlk:\t0000000000010000\nno colon\n");
  REQUIRE(lines.size() == 2);
  CHECK(lines[1] == std::pair<std::string, std::string>{"SigBlk", "0000000000010000"});
}

TEST_CASE("audit: a lost multicast group is a difference, unless the image predates them",
          "[audit]") {
  records::AuditFacts original;
  original.container = {{"net.multicast lo 224.0.0.1", "users 1"},
                        {"net.multicast lo 239.1.2.3", "users 1"}};
  records::AuditFacts restored = original;
  restored.container.erase("net.multicast lo 239.1.2.3");
  CHECK(audit::compare_audit(original, restored) ==
        std::vector<AuditDifference>{{0, "net.multicast lo 239.1.2.3", "users 1", audit::kAbsent}});
  records::AuditFacts older;  // an image of AuditFacts version 1: no multicast facts
  older.multicast_groups = false;
  CHECK(audit::compare_audit(older, restored).empty());
}

TEST_CASE("audit: every difference of recorded facts is named, ignored names skipped",
          "[audit]") {
  records::AuditFacts original;
  original.container = {{"net.ipv4.ip_forward", "1"}};
  original.processes[1] = {{"comm", "init"}, {"thread 1 stat.nice", "0"}, {"fd 3", "pipe"}};
  original.processes[7] = {{"comm", "worker"}, {"locks", "FLOCK ADVISORY WRITE 0 EOF on fd 4"}};
  CHECK(audit::compare_audit(original, original).empty());

  records::AuditFacts restored = original;
  restored.container["net.ipv4.ip_forward"] = "0";
  restored.processes[1]["thread 1 stat.nice"] = "10";
  restored.processes[1].erase("fd 3");
  restored.processes[1]["fd 4"] = "/dev/null";
  restored.processes[7]["locks"] = "none";
  restored.processes.erase(7);
  restored.processes[9] = {{"comm", "stray"}};
  auto differences = audit::compare_audit(original, restored);
  CHECK(differences == std::vector<AuditDifference>{
                           {0, "net.ipv4.ip_forward", "1", "0"},
                           {1, "fd 3", "pipe", audit::kAbsent},
                           {1, "fd 4", audit::kAbsent, "/dev/null"},
                           {1, "thread 1 stat.nice", "0", "10"},
                           {7, "process", "worker", audit::kAbsent},
                           {9, "process", audit::kAbsent, "stray"},
                       });
  CHECK(audit::describe(differences[3]) == "pid 1: thread 1 stat.nice: original 0, restored 10");
  CHECK(audit::describe(differences[0]) ==
        "container: net.ipv4.ip_forward: original 1, restored 0");
  auto left = audit::compare_audit(original, restored, {"stat.nice", "net.", "fd ", "process"});
  CHECK(left.empty());
}

namespace {

// A child that holds `path` open as fd 3 and flocks it when told (a byte on its stdin).
struct Child {
  pid_t pid = -1;
  int command = -1, done = -1;

  explicit Child(const std::string& path) {
    int to[2], from[2];
    REQUIRE(::pipe(to) == 0);
    REQUIRE(::pipe(from) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0600);
      if (fd < 0 || ::dup2(fd, 30) < 0 || ::close(fd) != 0) ::_exit(1);
      char c;
      while (::read(to[0], &c, 1) == 1) {
        ::flock(30, LOCK_EX);
        if (::write(from[1], &c, 1) != 1) ::_exit(1);
      }
      ::_exit(0);
    }
    ::close(to[0]);
    ::close(from[1]);
    command = to[1];
    done = from[0];
  }
  void lock() {
    char c = 'l';
    REQUIRE(::write(command, &c, 1) == 1);
    REQUIRE(::read(done, &c, 1) == 1);
  }
  ~Child() {
    ::close(command);
    ::close(done);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
};

records::AuditFacts facts_of(pid_t pid) {
  audit::AuditScope scope;
  scope.ns_pid_of[pid] = 1;
  scope.audited = {pid};
  scope.init_host_pid = pid;
  records::AuditFacts facts;
  facts.processes[1] = audit::collect_process_facts(pid, scope, "/", audit::read_lock_lines());
  return facts;
}

bool names(const std::vector<AuditDifference>& differences, const std::string& name,
           const std::string& original, const std::string& restored) {
  return std::any_of(differences.begin(), differences.end(), [&](const AuditDifference& d) {
    return d.pid == 1 && d.name == name && d.original == original && d.restored == restored;
  });
}

}  // namespace

TEST_CASE("audit: a live process's nice value, rlimit and flock are named when they change",
          "[audit]") {
  auto path = std::filesystem::temp_directory_path() / ("ckpt-audit-" + std::to_string(getpid()));
  Child child(path);
  auto before = facts_of(child.pid);
  CHECK(before.processes[1].at("fd 30") == path.string());
  CHECK(before.processes[1].at("fd 30 flags") == "0100002");  // O_RDWR | O_LARGEFILE
  CHECK(before.processes[1].at("locks") == "none");
  CHECK(audit::compare_audit(before, facts_of(child.pid)).empty());  // nothing moved

  // What a restore might lose, done to the child on purpose.
  std::string nice_name = "thread " + std::to_string(child.pid) + " stat.nice";
  int nice = std::stoi(before.processes[1].at(nice_name));
  int new_nice = std::min(19, nice + 7);
  REQUIRE(new_nice != nice);
  REQUIRE(::setpriority(PRIO_PROCESS, static_cast<id_t>(child.pid), new_nice) == 0);
  struct rlimit limit {};
  REQUIRE(::prlimit(child.pid, RLIMIT_NOFILE, nullptr, &limit) == 0);
  limit.rlim_cur = 77;
  REQUIRE(::prlimit(child.pid, RLIMIT_NOFILE, &limit, nullptr) == 0);
  child.lock();

  auto after = facts_of(child.pid);
  auto differences = audit::compare_audit(before, after);
  CHECK(names(differences, nice_name, std::to_string(nice), std::to_string(new_nice)));
  CHECK(names(differences, "limits.Max open files",
              before.processes[1].at("limits.Max open files"),
              "77 " + std::to_string(limit.rlim_max)));
  CHECK(names(differences, "locks", "none", "FLOCK ADVISORY WRITE 0 EOF on fd 30"));
  CHECK(names(differences, "fd 30 lock", audit::kAbsent, "FLOCK ADVISORY WRITE 0 EOF"));
  CHECK(names(differences, "thread " + std::to_string(child.pid) + " stat.priority",
              std::to_string(20 + nice), std::to_string(20 + new_nice)));
  CHECK(differences.size() == 5);
  std::filesystem::remove(path);
}
