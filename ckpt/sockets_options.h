// The options of a socket (records/socket_options.h), read with getsockopt() on a copy of it.
// Options the socket does not have are left out. An eBPF filter (SO_ATTACH_BPF), which the
// kernel does not give back, refuses the dump naming `who`.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/records/socket_options.h"

namespace ckpt::dump {

// `sock` is a copy of fd `fd` of `pid`. The multicast groups of a UDP socket are read apart
// (sockets_multicast.h), the namespace's groups once for all sockets.
records::SocketOptions read_socket_options(int sock, pid_t pid, int fd);

}  // namespace ckpt::dump
