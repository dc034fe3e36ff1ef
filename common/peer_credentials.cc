#include "common/peer_credentials.h"

#include <cerrno>

#include "common/error.h"

namespace ckpt {

ucred read_peer_ucred(int sock) {
  ucred creds{0, kNoPeerId, kNoPeerId};
  socklen_t len = sizeof creds;
  if (::getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &creds, &len) != 0)
    return ucred{0, kNoPeerId, kNoPeerId};
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

}  // namespace ckpt
