// Established TCP connections (FileKind::kTcpConnection), dumped with `ckpt dump
// --tcp-established` through TCP_REPAIR. Section kTcpConnections (id 0) holds one
// TcpConnections; section kSocketData (id = the connection's description id) holds its queued
// bytes: the send queue, then the receive queue.
#pragma once

#include "common/records/fields.h"
#include "common/records/socket_options.h"

#include <netinet/tcp.h>

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::records {

// What TCP_REPAIR shows of one connection, and the socket options it carries.
struct TcpConnection {
  uint64_t id = 0;  // FileDescription::id of the socket
  int32_t family = 0;
  std::string local, peer;  // sockaddrs, as getsockname()/getpeername() returned them

  // Sequence numbers at the end of each queue (TCP_QUEUE_SEQ) and the queue lengths.
  uint32_t send_seq = 0, recv_seq = 0;
  uint32_t send_queue_len = 0;  // bytes not yet acknowledged by the peer (sent or not)
  uint32_t unsent_len = 0;      // the tail of the send queue never sent
  uint32_t recv_queue_len = 0;  // bytes received, not yet read by the process

  // TCP_REPAIR_WINDOW.
  uint32_t snd_wl1 = 0, snd_wnd = 0, max_window = 0, rcv_wnd = 0, rcv_wup = 0;
  // TCP_REPAIR_OPTIONS: negotiated at the handshake.
  uint32_t mss_clamp = 0;
  uint8_t options = 0;  // TCPI_OPT_* (tcp_info.tcpi_options)
  uint8_t snd_wscale = 0, rcv_wscale = 0;
  uint32_t timestamp = 0;  // TCP_TIMESTAMP (the connection's clock, with its offset)

  // Socket options.
  bool no_delay = false, cork = false, keep_alive = false, reuse_address = false,
       reuse_port = false, v6_only = false;
  int32_t keep_idle = 0, keep_interval = 0, keep_count = 0;
  int32_t send_buffer = 0, receive_buffer = 0;  // SO_SNDBUF/SO_RCVBUF as getsockopt reports
  // Version 2: every other option (records/socket_options.h), set once repair is off.
  SocketOptions socket_options;
  // Version 3: the TCP state (TCP_ESTABLISHED, or a half-closed one: see below).
  int32_t state = TCP_ESTABLISHED;

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, id, family, local, peer, send_seq, recv_seq, send_queue_len, unsent_len,
           recv_queue_len, snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup, mss_clamp, options,
           snd_wscale, rcv_wscale, timestamp, no_delay, cork, keep_alive, reuse_address, reuse_port,
           v6_only, keep_idle, keep_interval, keep_count, send_buffer, receive_buffer);
    if (version >= 2) fields(ar, socket_options);
    if (version >= 3) fields(ar, state);
  }
};

// In TCP state `state`, the peer's FIN was received (CLOSE_WAIT, LAST_ACK): recv_seq counts it,
// the receive queue's length does not.
inline bool peer_fin_received(int32_t state) {
  return state == TCP_CLOSE_WAIT || state == TCP_LAST_ACK;
}
// Ours was sent or queued (FIN_WAIT1, FIN_WAIT2, LAST_ACK): send_seq counts it, the send queue's
// lengths do not.
inline bool own_fin_sent(int32_t state) {
  return state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2 || state == TCP_LAST_ACK;
}
// The sequence number after the last byte received (before the peer's FIN, if received).
inline uint32_t received_end(const TcpConnection& c) {
  return c.recv_seq - peer_fin_received(c.state);
}
// The first sequence number the peer has not acknowledged (snd_una).
inline uint32_t first_unacknowledged(const TcpConnection& c) {
  return c.send_seq - own_fin_sent(c.state) - c.send_queue_len;
}

struct TcpConnections {
  std::vector<TcpConnection> connections;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, connections);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::TcpConnection, 3)
BOOST_CLASS_VERSION(ckpt::records::TcpConnections, 1)
