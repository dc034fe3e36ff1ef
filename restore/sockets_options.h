// Small socket calls shared by the socket restores (listening, UDP, unix, TCP repair).
#pragma once

#include <sys/socket.h>

#include <string>

#include "common/records/socket_options.h"

namespace ckpt::restore {

// setsockopt() of an int option; throws naming `what` and the value.
void set_sockopt(int fd, int level, int name, int value, const char* what);

// Sets every option of `options` that differs from what `fd` (a fresh socket) has: the filter
// (before SO_LOCK_FILTER), the int and byte options, the bound device, the timeouts, SO_LINGER,
// TCP_CONGESTION; then joins its multicast groups. Interfaces are looked up by name.
void apply_socket_options(int fd, const records::SocketOptions& options);

// A socket address kept in a record as the bytes getsockname() returned.
const sockaddr* as_sockaddr(const std::string& raw);
socklen_t sockaddr_size(const std::string& raw);

}  // namespace ckpt::restore
