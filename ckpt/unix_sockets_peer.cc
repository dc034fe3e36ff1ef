#include "ckpt/unix_sockets_peer.h"

#include <sys/socket.h>

#include "ckpt/sockets_queue.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/ns/in_pid_ns.h"
#include "common/peer_credentials.h"

namespace ckpt::dump {

namespace {

// SO_PEERCRED of each socket as the container's pid namespace sees it.
std::vector<ucred> read_peer_pids(const std::vector<UniqueFd>& copies, pid_t container_pid) {
  std::vector<ucred> creds(copies.size());
  std::vector<int> fds;
  for (const auto& copy : copies) fds.push_back(copy.get());
  ns::in_pid_namespace_of(container_pid, [&] {
    for (size_t i = 0; i < fds.size(); ++i) creds[i] = read_peer_ucred(fds[i]);
  });
  return creds;
}

}  // namespace

void read_peer_credentials(std::vector<UnixSocketFacts>& sockets,
                           const std::vector<UniqueFd>& copies, pid_t container_pid) {
  if (sockets.empty()) return;
  std::vector<ucred> creds = read_peer_pids(copies, container_pid);
  for (size_t i = 0; i < sockets.size(); ++i) {
    UnixSocketFacts& s = sockets[i];
    if (creds[i].uid == kNoPeerId && creds[i].pid == 0) continue;  // nobody made a connection
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

void read_message_senders(std::vector<UnixSocketFacts>& sockets,
                          const std::vector<UniqueFd>& copies, pid_t container_pid) {
  for (size_t i = 0; i < sockets.size(); ++i) {
    UnixSocketFacts& s = sockets[i];
    if (!s.queued_with_senders) continue;
    std::vector<ucred> senders = peek_senders(copies[i].get(), s.record.type,
                                              s.record.message_sizes.size(), container_pid);
    for (const ucred& sender : senders) {
      if (sender.pid == 0)
        fail(ErrorKind::kRefused,
             "{}: unix socket:[{}]: a queued message came from a process outside the container, "
             "or without its sender's credentials (SO_PASSCRED); not supported",
             s.who, s.record.inode);
      s.record.message_senders.push_back({sender.pid, sender.uid, sender.gid, {}});
    }
  }
}

}  // namespace ckpt::dump
