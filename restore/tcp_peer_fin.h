// The FIN of the peer of a half-closed connection (CLOSE_WAIT or LAST_ACK at the dump), given
// again to the rebuilt socket. TCP_REPAIR has no way to set a received FIN: the connection is
// rebuilt established, one sequence number short of its end, and this FIN segment, made as the
// peer would send it (its address and port, the sequence number of the FIN, an acknowledgment
// of nothing new), is delivered to it from a raw socket in the container's network namespace.
// The socket then moves to CLOSE_WAIT as it did when the peer's FIN arrived, and its reader
// finds end-of-file after the queued bytes. The segment goes no further than the container's
// own address; the socket's acknowledgment of it reaches the peer as a duplicate of the one it
// had, which TCP ignores.
#pragma once

#include "common/records/tcp.h"

namespace ckpt::restore {

// Delivers the peer's FIN to the connection `c` rebuilt (repair off) and waits until its socket
// `sock` is in CLOSE_WAIT; throws when it does not get there.
void deliver_peer_fin(int sock, const records::TcpConnection& c);

}  // namespace ckpt::restore
