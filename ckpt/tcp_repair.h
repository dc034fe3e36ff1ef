// One established or half-closed TCP connection read through TCP_REPAIR (kernel 3.11+,
// TCP_REPAIR_WINDOW 4.8+): sequence numbers, both queues (peeked, not consumed), window,
// handshake options, timestamp offset and socket options. The caller holds the socket (a
// pidfd_getfd copy: same socket).
#pragma once

#include <optional>
#include <string>

#include "common/records/tcp.h"
#include "common/unique_fd.h"

namespace ckpt::dump {

// What a TCP socket shows without repair mode.
struct TcpSocketFacts {
  int family = 0;
  int state = 0;  // TCP_ESTABLISHED, TCP_CLOSE_WAIT, ... (tcp_info.tcpi_state)
  std::string local, peer;
  // SO_REUSEADDR as the process set it (repair mode forces reuse, so it is read before).
  bool reuse_address = false;
  records::SocketOptions options;  // read by the caller, which knows its pid and fd
};

// The facts of an AF_INET/AF_INET6 TCP socket that is neither listening nor closed; nullopt for
// any other socket.
std::optional<TcpSocketFacts> probe_tcp_connection(int sock);

// Puts a socket in repair mode for the object's lifetime. The destructor turns repair off again
// (the connection carries on); after keep_repairing(), the socket is left in repair mode, so that
// closing it (when the dumped container is killed) sends nothing to the peer, not even a RST.
class RepairMode {
 public:
  explicit RepairMode(UniqueFd sock);
  ~RepairMode();
  RepairMode(const RepairMode&) = delete;
  RepairMode& operator=(const RepairMode&) = delete;

  int fd() const { return sock_.get(); }
  void keep_repairing() { keep_ = true; }

 private:
  UniqueFd sock_;
  bool keep_ = false;
};

// The state of a connection and its queued bytes (send queue, then receive queue).
struct TcpSnapshot {
  records::TcpConnection record;
  std::string queued;

  bool complete() const {
    return queued.size() == size_t{record.send_queue_len} + record.recv_queue_len;
  }
};

// A connection still in its handshake (SYN_SENT), read without repair mode, which would hold
// back its SYN: its addresses and options; the restore connects again (restore/tcp_repair.h).
records::TcpConnection read_connecting(int sock, const TcpSocketFacts& facts);

// Reads a connection in repair mode; `queued` may hold fewer bytes than the queue lengths say
// when the queues changed while they were read (complete() tells). (`facts` from
// probe_tcp_connection on the same socket).
TcpSnapshot read_connection(const RepairMode& repair, const TcpSocketFacts& facts);

}  // namespace ckpt::dump
