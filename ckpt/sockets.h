// Sockets of the dumped processes. Today: listening TCP sockets (IPv4/IPv6) with their address,
// backlog and options; every other socket is refused by the files dump.
#pragma once

#include <sys/types.h>

#include <optional>

#include "common/records/files.h"

namespace ckpt::dump {

// An int socket option; 0 when it cannot be read.
int int_sockopt(int fd, int level, int name);

// The listening TCP socket behind fd `fd` of `pid`; nullopt for any other kind of socket.
std::optional<records::ListeningSocket> probe_listening_socket(pid_t pid, int fd);

}  // namespace ckpt::dump
