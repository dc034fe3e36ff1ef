#include "ckpt/unix_sockets_peer.h"

#include <sys/socket.h>

#include <cerrno>

#include "common/error.h"
#include "common/error_kind.h"
#include "common/ns/in_pid_ns.h"

namespace ckpt::dump {

namespace {

constexpr uint32_t kNoId = UINT32_MAX;

// SO_PEERCRED of each socket as the container's pid namespace sees it.
std::vector<ucred> read_peer_pids(const std::vector<UniqueFd>& copies, pid_t container_pid) {
  std::vector<ucred> creds(copies.size(), ucred{0, kNoId, kNoId});
  std::vector<int> fds;
  for (const auto& copy : copies) fds.push_back(copy.get());
  ns::in_pid_namespace_of(container_pid, [&] {
    for (size_t i = 0; i < fds.size(); ++i) {
      socklen_t len = sizeof creds[i];
      if (::getsockopt(fds[i], SOL_SOCKET, SO_PEERCRED, &creds[i], &len) != 0)
        creds[i] = ucred{0, kNoId, kNoId};
    }
  });
  return creds;
}

std::vector<uint32_t> read_peer_groups(int sock, const std::string& who) {
  std::vector<gid_t> groups(16);
  for (;;) {
    socklen_t len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(sock, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
      groups.resize(len / sizeof(gid_t));
      return {groups.begin(), groups.end()};
    }
    if (errno == ENODATA) return {};
    if (errno != ERANGE) throw_errno("getsockopt({}, SO_PEERGROUPS)", who);
    groups.resize(len / sizeof(gid_t));
  }
}

}  // namespace

void read_peer_credentials(std::vector<UnixSocketFacts>& sockets,
                           const std::vector<UniqueFd>& copies, pid_t container_pid) {
  if (sockets.empty()) return;
  std::vector<ucred> creds = read_peer_pids(copies, container_pid);
  for (size_t i = 0; i < sockets.size(); ++i) {
    UnixSocketFacts& s = sockets[i];
    if (creds[i].uid == kNoId && creds[i].pid == 0) continue;  // nobody made a connection
    if (creds[i].pid == 0)
      fail(ErrorKind::kRefused,
           "{}: unix socket:[{}]: its SO_PEERCRED names a process outside the container "
           "(uid {}); not supported",
           s.who, s.record.inode, creds[i].uid);
    records::PeerCredentials& peer = s.record.peer_credentials;
    peer.pid = creds[i].pid;
    peer.uid = creds[i].uid;
    peer.gid = creds[i].gid;
    peer.groups = read_peer_groups(copies[i].get(), s.who);
  }
}

}  // namespace ckpt::dump
