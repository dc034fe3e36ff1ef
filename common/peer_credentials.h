// SO_PEERCRED and SO_PEERGROUPS of a unix socket: the process that connected, listened or made
// the pair, as the caller's namespaces see it.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt {

inline constexpr uint32_t kNoPeerId = UINT32_MAX;

// SO_PEERCRED, or {0, kNoPeerId, kNoPeerId} when the socket has none (nobody connected) or it
// cannot be read.
ucred read_peer_ucred(int sock);

// SO_PEERGROUPS (empty when the socket has none); throws Error naming `who`.
std::vector<uint32_t> read_peer_groups(int sock, const std::string& who);

}  // namespace ckpt
