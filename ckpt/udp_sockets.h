// Dump of the container's UDP sockets (IPv4, IPv6): addresses and options. Queued datagrams
// are not kept.
#pragma once

#include "common/records/files.h"
#include "common/records/sockets.h"

namespace ckpt::dump {

// Every kUdpSocket description of `files`, read through one of its fds.
records::UdpSocketsState collect_udp_sockets(const records::FilesState& files);

}  // namespace ckpt::dump
