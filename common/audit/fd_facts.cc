// Facts of each fd: what it refers to, its fdinfo (flags, position, kind-specific lines), a unix
// socket's peer credentials and the locks the process holds (/proc/locks, attributed to the fd
// of the locked file).
#include <sys/socket.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>

#include "common/audit/process_view.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/ns/in_pid_ns.h"
#include "common/peer_credentials.h"
#include "common/proc/key_value.h"
#include "common/proc/pidfd.h"

namespace ckpt::audit {

namespace {

std::string join_values(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : " | ") + v;
  return out;
}

std::vector<int> list_fds(const ProcessView& p) {
  std::vector<int> fds;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(p.path("fd"), ec))
    fds.push_back(std::stoi(entry.path().filename().string()));
  std::sort(fds.begin(), fds.end());
  return fds;
}

// fdinfo lines, several of one key (epoll's tfd, inotify, lock) sorted and joined by " | "
// (epoll lists its watches in the order of their file pointers).
void add_fdinfo(const ProcessView& p, const std::string& key, int fd,
                records::AuditFactMap& facts) {
  std::string text;
  try {
    auto before = p.scope.fdinfo_before.find({p.host_pid, fd});
    text = before != p.scope.fdinfo_before.end()
               ? before->second
               : fs::try_read_file(p.path("fdinfo/" + std::to_string(fd))).value_or("");
  } catch (const Error&) {
    facts[key + " fdinfo"] = "unreadable";
    return;
  }
  std::map<std::string, std::vector<std::string>> values;
  for (const auto& [name, value] : proc::key_value_lines(text))
    if (auto kept = normalize_fdinfo_value(name, value)) values[name].push_back(*kept);
  for (auto& [name, list] : values) {
    std::sort(list.begin(), list.end());
    facts[key + " " + name] = join_values(list);
  }
}

// A copy of fd `fd` when it is a unix socket.
std::optional<UniqueFd> unix_socket_copy(const ProcessView& p, int fd) {
  UniqueFd copy;
  try {
    copy = proc::take_fd(p.host_pid, fd);
  } catch (const Error&) {
    return std::nullopt;  // closed since it was listed
  }
  int domain = 0;
  socklen_t len = sizeof domain;
  if (::getsockopt(copy.get(), SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX)
    return std::nullopt;
  return copy;
}

// SO_PEERCRED and SO_PEERGROUPS of each unix socket: "pid 3 uid 1000 gid 1000 groups 1000 27",
// the pid read in the container's pid namespace (a restored peer that made the connection and
// exited is known by its number there only); nothing for a socket no one connected.
void add_peer_credentials(const ProcessView& p, const std::map<int, UniqueFd>& sockets,
                          records::AuditFactMap& facts) {
  if (sockets.empty()) return;
  std::vector<std::pair<int, ucred>> peers;
  for (const auto& [fd, copy] : sockets) peers.emplace_back(copy.get(), ucred{});
  ns::in_pid_namespace_of(p.scope.init_host_pid, [&] {
    for (auto& [sock, peer] : peers) peer = read_peer_ucred(sock);
  });
  auto peer = peers.begin();
  for (const auto& [fd, copy] : sockets) {
    const ucred& creds = (peer++)->second;
    if (creds.pid == 0 && creds.uid == kNoPeerId) continue;
    std::string key = "fd " + std::to_string(fd);
    std::string text = fmt::format("pid {} uid {} gid {} groups", creds.pid, creds.uid, creds.gid);
    for (uint32_t group : read_peer_groups(copy.get(), key)) text += " " + std::to_string(group);
    facts[key + " peer"] = text;
  }
}

// "POSIX ADVISORY WRITE 0 EOF on fd 3" for each lock of this process in /proc/locks.
void add_locks(const ProcessView& p, const std::map<std::string, int>& fd_of_file,
               const std::vector<LockLine>& locks, records::AuditFactMap& facts) {
  std::vector<std::string> mine;
  for (const auto& lock : locks) {
    if (lock.pid != p.host_pid) continue;
    auto fd = fd_of_file.find(lock.dev_ino);
    mine.push_back(lock.text + (fd == fd_of_file.end() ? " on a file not open here"
                                                       : " on fd " + std::to_string(fd->second)));
  }
  std::sort(mine.begin(), mine.end());
  facts["locks"] = mine.empty() ? "none" : join_values(mine);
}

}  // namespace

void add_fd_facts(const ProcessView& p, const std::vector<LockLine>& locks,
                  records::AuditFactMap& facts) {
  std::map<std::string, int> fd_of_file;  // "dev:ino" as /proc/locks prints it -> lowest fd
  std::map<int, UniqueFd> unix_sockets;   // fd -> a copy of it
  for (int fd : list_fds(p)) {
    std::string key = "fd " + std::to_string(fd);
    std::string link = p.path("fd/" + std::to_string(fd));
    std::string target = normalize_fd_target(read_link_fact(link));
    facts[key] = target.starts_with("/") ? p.container_path(target) : target;
    add_fdinfo(p, key, fd, facts);
    if (target == "socket")
      if (auto copy = unix_socket_copy(p, fd)) unix_sockets.emplace(fd, std::move(*copy));
    // The console log of a restored container is a new file: its position starts again.
    if (facts[key].starts_with("<state>/")) facts.erase(key + " pos");
    struct stat st {};
    if (::stat(link.c_str(), &st) == 0) fd_of_file.emplace(lock_dev_ino(st.st_dev, st.st_ino), fd);
  }
  add_peer_credentials(p, unix_sockets, facts);
  add_locks(p, fd_of_file, locks, facts);
}

}  // namespace ckpt::audit
