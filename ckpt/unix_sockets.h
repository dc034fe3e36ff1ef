// Dump of the container's unix sockets: each socket's type, name, options and queued messages,
// read from one of its fds, then linked to its peer and listener through unix_diag.
// Refuses (one line) a socket whose peer is outside the container and fds in flight.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ckpt/unix_sockets_diag.h"
#include "common/records/files.h"
#include "common/records/sockets.h"

namespace ckpt::dump {

// One socket as read through one of its fds, before it is linked to the others.
struct UnixSocketFacts {
  records::UnixSocket record;  // id, inode, type, name and options filled in
  std::string who;             // "pid P fd F" for messages
  std::string queued;          // message bytes, sizes in record.message_sizes
  bool queued_with_senders = false;  // SO_PASSCRED: each message came with its sender's ids
  uint64_t file_inode = 0;     // a path name: the inode of the socket file there (0: none)
};

struct CollectedUnixSockets {
  records::UnixSocketsState state;
  std::vector<std::pair<uint64_t, std::string>> data;  // record id -> queued bytes
};

// Fills state, peer, backlog and pending of every record from the diag table. Throws Error
// for a peer or a pending connection outside `sockets`, or data queued on a connection not
// yet accepted.
CollectedUnixSockets link_unix_sockets(std::vector<UnixSocketFacts> sockets,
                                       const UnixDiagTable& diag);

// Every kUnixSocket description of `files`; `netns_pid` is a process in the container's netns
// and pid namespace.
CollectedUnixSockets collect_unix_sockets(const records::FilesState& files, pid_t netns_pid);

}  // namespace ckpt::dump
