// The messages queued for reading on a unix socket, read without consuming them.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::dump {

struct QueuedMessages {
  // Each datagram/record; a stream's bytes are one entry, or one a peek when with_senders.
  std::vector<uint32_t> sizes;
  std::string data;  // all of them back to back
  // SO_PASSCRED: each entry came with its sender's credentials (SCM_CREDENTIALS).
  bool with_senders = false;
};

// Peeks at everything queued on `sock` (of SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET `type`)
// using SO_PEEK_OFF, which is put back afterwards. Throws Error naming `who` when a message
// carries file descriptors (SCM_RIGHTS) or a pidfd (SCM_PIDFD), or is larger than ckpt reads.
QueuedMessages peek_queue(int sock, int type, const std::string& who);

// The sender of each of the `count` entries peek_queue found with_senders on `sock`, peeked at
// again by a child in the pid namespace of process `container_pid`: pids as the container sees
// them (0 for a process outside it or a message sent without credentials), real uid and gid.
std::vector<ucred> peek_senders(int sock, int type, size_t count, pid_t container_pid);

}  // namespace ckpt::dump
