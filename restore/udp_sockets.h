// UDP sockets made again (the dump side is ckpt/udp_sockets.h): options, bound, connected.
// Runs inside the container's network namespace.
#pragma once

#include "common/records/files.h"
#include "common/records/sockets.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

UniqueFd open_udp_socket(const records::UdpSocket& r, const records::FileDescription& d);

}  // namespace ckpt::restore
