// What the container's unix sockets remember of the processes at their other end: SO_PEERCRED
// (pid, effective uid and gid) and SO_PEERGROUPS, into each record's peer_credentials, and the
// sender of each queued message of a socket with SO_PASSCRED (SCM_CREDENTIALS), into
// message_senders. Pids are read by a child in the container's pid namespace
// (common/ns/in_pid_ns.h): ckpt's own would be host pids, none at all for a process that has
// exited since.
// The restore side is restore/unix_sockets_peer.h.
#pragma once

#include <sys/types.h>

#include <vector>

#include "ckpt/unix_sockets.h"
#include "common/unique_fd.h"

namespace ckpt::dump {

// Fills record.peer_credentials of every socket from ckpt's copy of it, `copies[i]` for
// `sockets[i]`. Throws Error (kRefused) for a socket whose credentials name a process outside
// the pid namespace of `container_pid`.
void read_peer_credentials(std::vector<UnixSocketFacts>& sockets,
                           const std::vector<UniqueFd>& copies, pid_t container_pid);

// Fills record.message_senders of every socket whose queued messages came with their senders'
// credentials. Throws Error (kRefused) for a message from outside the pid namespace of
// `container_pid` or sent without credentials.
void read_message_senders(std::vector<UnixSocketFacts>& sockets,
                          const std::vector<UniqueFd>& copies, pid_t container_pid);

}  // namespace ckpt::dump
