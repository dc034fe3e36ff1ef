#include "restore/unix_sockets_peer.h"

#include <fcntl.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <span>
#include <vector>

#include "common/error.h"
#include "common/ns/clone.h"
#include "common/ns/in_thread.h"
#include "restore/unix_sockets_ops.h"

namespace ckpt::restore {

namespace {

using records::PeerCredentials;
using Fds = std::array<int, 2>;  // what a call made, by fd number (-1: nothing)
using PeerCall = std::function<Fds()>;

// What the child reports through a pipe.
struct Outcome {
  Fds fds{-1, -1};
  bool failed = true;
  char message[240] = {};
};

// The recorded ids for the calling thread alone (raw system calls: glibc's wrappers change
// every thread's), keeping its capabilities: a connect to a socket file whose mode the
// connecting process would not pass today still succeeds.
void take_ids(const PeerCredentials& who) {
  if (::prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP) != 0)
    throw_errno("prctl(PR_SET_SECUREBITS)");
  std::vector<gid_t> groups(who.groups.begin(), who.groups.end());
  if (::syscall(SYS_setgroups, groups.size(), groups.data()) != 0)
    throw_errno("setgroups({} groups)", groups.size());
  if (::syscall(SYS_setresgid, who.gid, who.gid, who.gid) != 0) throw_errno("setresgid({})", who.gid);
  if (::syscall(SYS_setresuid, who.uid, who.uid, who.uid) != 0) throw_errno("setresuid({})", who.uid);
}

bool has_ids_of(const PeerCredentials& who) {
  if (::geteuid() != who.uid || ::getegid() != who.gid) return false;
  int count = ::getgroups(0, nullptr);
  std::vector<gid_t> own(static_cast<size_t>(std::max(count, 0)));
  if (count > 0 && ::getgroups(count, own.data()) != count) return false;
  std::sort(own.begin(), own.end());
  std::vector<gid_t> wanted(who.groups.begin(), who.groups.end());
  std::sort(wanted.begin(), wanted.end());
  return own == wanted;
}

[[noreturn]] void report_and_exit(int report, const PeerCredentials& who, const PeerCall& call) {
  Outcome out;
  try {
    take_ids(who);
    out.fds = call();
    out.failed = false;
  } catch (const std::exception& e) {
    std::strncpy(out.message, e.what(), sizeof out.message - 1);
  }
  ssize_t written = ::write(report, &out, sizeof out);
  ::_exit(written == sizeof out ? 0 : 1);
}

// A child with the recorded pid, sharing the fd table (so what it makes is ours), runs `call`.
Fds in_child_as(const PeerCredentials& who, const PeerCall& call, const std::string& what) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) throw_errno("pipe2");
  UniqueFd report(ends[0]), report_end(ends[1]);  // both closed only after the child is gone
  pid_t pid = 0;
  try {
    pid = ns::clone_fork(CLONE_FILES, std::span(&who.pid, 1));
  } catch (const Error& e) {
    fail("restore unix socket: {} as pid {}: {}", what, who.pid, e.what());
  }
  if (pid == 0) report_and_exit(report_end.get(), who, call);
  int status = 0;
  while (::waitpid(pid, &status, __WALL) < 0) {
    if (errno != EINTR) throw_errno("waitpid({})", pid);
  }
  Outcome out;
  ::fcntl(report.get(), F_SETFL, O_NONBLOCK);
  if (::read(report.get(), &out, sizeof out) != sizeof out)
    fail("restore unix socket: {} as pid {}: the child died (status {:#x})", what, who.pid, status);
  if (out.failed)
    fail("restore unix socket: {} as pid {} (uid {}): {}", what, who.pid, who.uid, out.message);
  return out.fds;
}

Fds run_as(const PeerCredentials& who, const PeerCall& call, const std::string& what) {
  if (who.pid == 0) return call();  // nothing recorded
  if (who.pid != ::getpid()) return in_child_as(who, call, what);
  if (has_ids_of(who)) return call();
  try {
    return ns::in_helper_thread([&] { take_ids(who); }, call);
  } catch (const std::exception& e) {
    fail("restore unix socket: {} as pid {} (uid {}): {}", what, who.pid, who.uid, e.what());
  }
}

}  // namespace

void listen_as(const PeerCredentials& who, int fd, int backlog, const std::string& name) {
  std::string what = fmt::format("listen({}, {})", printable_name(name), backlog);
  run_as(who, [&]() -> Fds {
    if (::listen(fd, backlog) != 0) throw_errno("{}", what);
    return {-1, -1};
  }, what);
}

void connect_as(const PeerCredentials& who, int fd, const std::string& name) {
  run_as(who, [&]() -> Fds {
    connect_unix_name(fd, name);
    return {-1, -1};
  }, fmt::format("connect({})", printable_name(name)));
}

void connect_all_as(const PeerCredentials& who,
                    const std::vector<std::pair<int, std::string>>& connects) {
  if (connects.empty()) return;
  std::string what = fmt::format("{} connects (the first to {})", connects.size(),
                                 printable_name(connects.front().second));
  run_as(who, [&]() -> Fds {
    for (const auto& [fd, name] : connects) connect_unix_name(fd, name);
    return {-1, -1};
  }, what);
}

std::pair<UniqueFd, UniqueFd> socketpair_as(const PeerCredentials& who, int type) {
  Fds fds = run_as(who, [type]() -> Fds {
    int made[2];
    if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, made) != 0)
      throw_errno("socketpair(AF_UNIX, {})", type);
    return {made[0], made[1]};
  }, "socketpair");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void send_messages_as(const PeerCredentials& who, int sender, const std::string& name, int type,
                      std::span<const uint32_t> sizes, std::string_view data) {
  run_as(who, [&]() -> Fds {
    send_messages(sender, name, type, sizes, data);
    return {-1, -1};
  }, fmt::format("send {} queued messages", sizes.size()));
}

}  // namespace ckpt::restore
