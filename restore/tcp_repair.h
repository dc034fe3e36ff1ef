// Rebuilding one established or half-closed TCP connection through TCP_REPAIR (the dump side is
// ckpt/tcp_repair.h). In repair mode nothing reaches the wire: the socket is bound to its local
// address, given its sequence numbers, "connected" to its peer, given the options negotiated at
// the handshake, its window and its queued bytes, and only then let go.
#pragma once

#include <string_view>

#include "common/records/tcp.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

// A socket for `c` in repair mode, its queues refilled with `queued` (send queue then receive
// queue, as dumped) except the never-sent tail of the send queue (see finish_repair).
UniqueFd repair_connection(const records::TcpConnection& c, std::string_view queued);

// Ends repair mode on a socket from repair_connection: repair off (the kernel probes the peer's
// window), the recorded address-reuse option, and the never-sent bytes queued normally.
void finish_repair(int sock, const records::TcpConnection& c, std::string_view queued);

// A connection whose FIN was sent at the dump (FIN_WAIT1, FIN_WAIT2, LAST_ACK), out of repair:
// the FIN again, by shutdown, at the sequence number it had after the bytes queued before it
// (a peer that had acknowledged it acknowledges it again). After the peer's FIN, for LAST_ACK.
void send_own_fin(int sock, const records::TcpConnection& c);

// A connection that was in its handshake (SYN_SENT): a socket with its options, bound to its
// address and port, connecting again to its peer (non-blocking: the handshake goes on as the
// SYNs did, and a thread that was waiting in connect() waits again).
UniqueFd reconnect(const records::TcpConnection& c);

// For `ckpt restore --tcp-close`: a socket of the connection's family shut down both ways, as
// CRIU's --tcp-close does: reads return end-of-file, writes fail with EPIPE.
UniqueFd closed_connection(const records::TcpConnection& c);

}  // namespace ckpt::restore
