// The options of an IPv4/IPv6 socket (records/socket_options.h), read with getsockopt() on a
// copy of it. Options the socket does not have are left out.
#pragma once

#include "common/records/socket_options.h"

namespace ckpt::dump {

records::SocketOptions read_socket_options(int sock);

}  // namespace ckpt::dump
