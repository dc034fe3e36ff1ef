// The messages queued for reading on a unix socket, read without consuming them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::dump {

struct QueuedMessages {
  std::vector<uint32_t> sizes;  // each datagram/record; a stream's bytes are one entry
  std::string data;             // all of them back to back
};

// Peeks at everything queued on `sock` (of SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET `type`)
// using SO_PEEK_OFF, which is put back afterwards. Throws Error naming `who` when a message
// carries file descriptors (SCM_RIGHTS) or is larger than ckpt reads.
QueuedMessages peek_queue(int sock, int type, const std::string& who);

}  // namespace ckpt::dump
