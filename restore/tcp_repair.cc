#include "restore/tcp_repair.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

#include "common/error.h"
#include "common/sockaddr_text.h"
#include "restore/sockets_options.h"

namespace ckpt::restore {

namespace {

void set_queue_seq(int sock, int queue, uint32_t seq) {
  set_sockopt(sock, IPPROTO_TCP, TCP_REPAIR_QUEUE, queue, "TCP_REPAIR_QUEUE");
  if (::setsockopt(sock, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, sizeof seq) != 0)
    throw_errno("setsockopt(TCP_QUEUE_SEQ, {})", seq);
}

// Sends all of `bytes` (into the selected repair queue in repair mode), in smaller pieces when
// the kernel refuses a large one.
void send_all(int sock, std::string_view bytes, const char* what) {
  size_t max_chunk = std::max<size_t>(bytes.size(), 1);
  while (!bytes.empty()) {
    ssize_t n = ::send(sock, bytes.data(), std::min(bytes.size(), max_chunk), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 && max_chunk > 1024) {
      max_chunk /= 2;
      continue;
    }
    if (n <= 0) throw_errno("refill the {} ({} bytes left)", what, bytes.size());
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void set_socket_options(int sock, const records::TcpConnection& c) {
  // SO_*BUFFORCE: the dumped sizes even above the sysctl limits; getsockopt reported doubled.
  if (c.send_buffer > 0)
    set_sockopt(sock, SOL_SOCKET, SO_SNDBUFFORCE, c.send_buffer / 2, "SO_SNDBUF");
  if (c.receive_buffer > 0)
    set_sockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, c.receive_buffer / 2, "SO_RCVBUF");
  if (c.family == AF_INET6) set_sockopt(sock, IPPROTO_IPV6, IPV6_V6ONLY, c.v6_only, "IPV6_V6ONLY");
  set_sockopt(sock, SOL_SOCKET, SO_REUSEPORT, c.reuse_port, "SO_REUSEPORT");
  set_sockopt(sock, IPPROTO_TCP, TCP_NODELAY, c.no_delay, "TCP_NODELAY");
  set_sockopt(sock, IPPROTO_TCP, TCP_CORK, c.cork, "TCP_CORK");
  set_sockopt(sock, SOL_SOCKET, SO_KEEPALIVE, c.keep_alive, "SO_KEEPALIVE");
  if (c.keep_idle > 0) set_sockopt(sock, IPPROTO_TCP, TCP_KEEPIDLE, c.keep_idle, "TCP_KEEPIDLE");
  if (c.keep_interval > 0)
    set_sockopt(sock, IPPROTO_TCP, TCP_KEEPINTVL, c.keep_interval, "TCP_KEEPINTVL");
  if (c.keep_count > 0) set_sockopt(sock, IPPROTO_TCP, TCP_KEEPCNT, c.keep_count, "TCP_KEEPCNT");
}

// Bound to the local address (repair mode forces address reuse; freebind accepts an IPv6
// address still tentative while the link is held down) and connected without a handshake.
void bind_and_connect(int sock, const records::TcpConnection& c) {
  set_sockopt(sock, IPPROTO_IP, IP_FREEBIND, 1, "IP_FREEBIND");
  if (::bind(sock, as_sockaddr(c.local), sockaddr_size(c.local)) != 0)
    throw_errno("bind to {}", describe_sockaddr(c.local));
  set_sockopt(sock, IPPROTO_IP, IP_FREEBIND, 0, "IP_FREEBIND");
  // Short of a FIN received (given again after repair, restore/tcp_peer_fin) or sent (sent
  // again by shutdown, send_own_fin).
  set_queue_seq(sock, TCP_RECV_QUEUE, records::received_end(c) - c.recv_queue_len);
  set_queue_seq(sock, TCP_SEND_QUEUE, records::first_unacknowledged(c));
  if (::connect(sock, as_sockaddr(c.peer), sockaddr_size(c.peer)) != 0)
    throw_errno("connect (repair) to {}", describe_sockaddr(c.peer));
}

void set_handshake_options(int sock, const records::TcpConnection& c) {
  tcp_repair_opt opts[4];
  int count = 0;
  if (c.options & TCPI_OPT_WSCALE)
    opts[count++] = {TCPOPT_WINDOW, static_cast<uint32_t>(c.snd_wscale + (c.rcv_wscale << 16))};
  if (c.options & TCPI_OPT_SACK) opts[count++] = {TCPOPT_SACK_PERMITTED, 0};
  if (c.options & TCPI_OPT_TIMESTAMPS) opts[count++] = {TCPOPT_TIMESTAMP, 0};
  opts[count++] = {TCPOPT_MAXSEG, c.mss_clamp};
  if (::setsockopt(sock, IPPROTO_TCP, TCP_REPAIR_OPTIONS, opts,
                   static_cast<socklen_t>(count * sizeof opts[0])) != 0)
    throw_errno("setsockopt(TCP_REPAIR_OPTIONS)");
  if (c.options & TCPI_OPT_TIMESTAMPS)
    set_sockopt(sock, IPPROTO_TCP, TCP_TIMESTAMP, static_cast<int>(c.timestamp), "TCP_TIMESTAMP");
}

void set_window(int sock, const records::TcpConnection& c) {
  tcp_repair_window window{};
  window.snd_wl1 = c.snd_wl1;
  window.snd_wnd = c.snd_wnd;
  window.max_window = c.max_window;
  window.rcv_wnd = c.rcv_wnd;
  // The window the peer was last told of may start at a FIN that is not received again yet.
  uint32_t end = records::received_end(c);
  window.rcv_wup = static_cast<int32_t>(c.rcv_wup - end) > 0 ? end : c.rcv_wup;
  if (::setsockopt(sock, IPPROTO_TCP, TCP_REPAIR_WINDOW, &window, sizeof window) != 0)
    throw_errno("setsockopt(TCP_REPAIR_WINDOW)");
}

// The bytes sent but not yet acknowledged go back in repair mode (the kernel must know they
// were sent); the receive queue too. The never-sent tail waits for finish_repair.
void refill_queues(int sock, const records::TcpConnection& c, std::string_view queued) {
  if (queued.size() != size_t{c.send_queue_len} + c.recv_queue_len)
    fail("{} queued bytes, expected {}", queued.size(), c.send_queue_len + c.recv_queue_len);
  std::string_view sent = queued.substr(0, c.send_queue_len - c.unsent_len);
  std::string_view received = queued.substr(c.send_queue_len);
  if (!sent.empty()) {
    set_sockopt(sock, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "TCP_REPAIR_QUEUE");
    send_all(sock, sent, "send queue");
  }
  if (!received.empty()) {
    set_sockopt(sock, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "TCP_REPAIR_QUEUE");
    send_all(sock, received, "receive queue");
  }
}

}  // namespace

UniqueFd repair_connection(const records::TcpConnection& c, std::string_view queued) {
  UniqueFd sock(::socket(c.family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!sock) throw_errno("socket(family {})", c.family);
  set_sockopt(sock.get(), IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_ON, "TCP_REPAIR");
  set_socket_options(sock.get(), c);
  bind_and_connect(sock.get(), c);
  set_handshake_options(sock.get(), c);
  refill_queues(sock.get(), c, queued);
  set_window(sock.get(), c);  // after the receive queue: rcv_wup may not be beyond rcv_nxt
  return sock;
}

void finish_repair(int sock, const records::TcpConnection& c, std::string_view queued) {
  set_sockopt(sock, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_OFF, "TCP_REPAIR");
  set_sockopt(sock, SOL_SOCKET, SO_REUSEADDR, c.reuse_address, "SO_REUSEADDR");
  apply_socket_options(sock, c.socket_options);
  std::string_view unsent = queued.substr(c.send_queue_len - c.unsent_len, c.unsent_len);
  if (!unsent.empty()) send_all(sock, unsent, "unsent data");
}

void send_own_fin(int sock, const records::TcpConnection& c) {
  if (records::own_fin_sent(c.state) && ::shutdown(sock, SHUT_WR) != 0)
    throw_errno("shutdown(SHUT_WR)");
}

UniqueFd reconnect(const records::TcpConnection& c) {
  UniqueFd sock(::socket(c.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP));
  if (!sock) throw_errno("socket(family {})", c.family);
  set_socket_options(sock.get(), c);
  set_sockopt(sock.get(), SOL_SOCKET, SO_REUSEADDR, c.reuse_address, "SO_REUSEADDR");
  set_sockopt(sock.get(), IPPROTO_IP, IP_FREEBIND, 1, "IP_FREEBIND");
  if (::bind(sock.get(), as_sockaddr(c.local), sockaddr_size(c.local)) != 0)
    throw_errno("bind to {}", describe_sockaddr(c.local));
  set_sockopt(sock.get(), IPPROTO_IP, IP_FREEBIND, 0, "IP_FREEBIND");
  apply_socket_options(sock.get(), c.socket_options);  // IP_FREEBIND too, as it was
  if (::connect(sock.get(), as_sockaddr(c.peer), sockaddr_size(c.peer)) != 0 &&
      errno != EINPROGRESS)
    throw_errno("connect to {}", describe_sockaddr(c.peer));
  return sock;
}

UniqueFd closed_connection(const records::TcpConnection& c) {
  UniqueFd sock(::socket(c.family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!sock) throw_errno("socket(family {})", c.family);
  if (::shutdown(sock.get(), SHUT_RDWR) != 0 && errno != ENOTCONN)
    throw_errno("shutdown of the closed connection {}", describe_sockaddr(c.local));
  return sock;
}

}  // namespace ckpt::restore
