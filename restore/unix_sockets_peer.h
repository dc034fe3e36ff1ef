// Making unix sockets remember the process the dumped ones did (SO_PEERCRED, SO_PEERGROUPS;
// the dump side is ckpt/unix_sockets_peer.h). The kernel notes the caller of listen() on the
// listener (and copies that to each end that connects to it), the caller of connect() on the
// end accept() returns, and the caller of socketpair() on both ends. So each such call of the
// restore is made as the recorded process: by a short-lived child with its pid (clone3 with
// set_tid: the sockets are made before any restored process exists) and its effective ids and
// groups, sharing the root task's fd table; by a thread of the root task when the pid is the
// root task's own. The messages queued for a socket with SO_PASSCRED are sent again the same
// way, each by its sender. A record without credentials (an older image, nothing recorded): the call
// is made by the restore itself, as before.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/records/sockets.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

// listen(fd, backlog) as `who`; `name` is for messages.
void listen_as(const records::PeerCredentials& who, int fd, int backlog, const std::string& name);

// connect(fd, name) as `who`: the end accepted from it will name `who` as its peer.
void connect_as(const records::PeerCredentials& who, int fd, const std::string& name);
// Each connect(fd, name) of `connects`, in order, by one process as `who`.
void connect_all_as(const records::PeerCredentials& who,
                    const std::vector<std::pair<int, std::string>>& connects);

// socketpair() as `who`: both ends name `who` as their peer.
std::pair<UniqueFd, UniqueFd> socketpair_as(const records::PeerCredentials& who, int type);

// send_messages() as `who`: a receiver with SO_PASSCRED gets `who`'s pid, uid and gid with each.
void send_messages_as(const records::PeerCredentials& who, int sender, const std::string& name,
                      int type, std::span<const uint32_t> sizes, std::string_view data);

}  // namespace ckpt::restore
