#include "ckpt/tcp_repair.h"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "ckpt/sockets.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/log.h"
#include "common/sockaddr_text.h"
#include "common/tcp_info_bytes.h"

namespace ckpt::dump {

namespace {

std::string address(int sock, bool peer) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((peer ? ::getpeername(sock, sa, &len) : ::getsockname(sock, sa, &len)) != 0)
    throw_errno("{}", peer ? "getpeername" : "getsockname");
  return std::string(reinterpret_cast<const char*>(&addr), len);
}

// The peer a connection still in its handshake is being made to: SO_PEERNAME shows it where
// getpeername says ENOTCONN (SYN_SENT). It wants no more room than the family's address takes.
std::string peer_being_connected(int sock, int family) {
  sockaddr_storage addr{};
  socklen_t len = family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (::getsockopt(sock, SOL_SOCKET, SO_PEERNAME, &addr, &len) != 0)
    throw_errno("getsockopt(SO_PEERNAME)");
  return std::string(reinterpret_cast<const char*>(&addr), len);
}

uint32_t ioctl_size(int sock, unsigned long request, const char* what) {
  int size = 0;
  if (::ioctl(sock, request, &size) != 0) throw_errno("ioctl({})", what);
  return static_cast<uint32_t>(size);
}

void set_repair(int sock, int mode) {
  if (::setsockopt(sock, IPPROTO_TCP, TCP_REPAIR, &mode, sizeof mode) != 0)
    throw_errno("setsockopt(TCP_REPAIR, {})", mode);
}

// The sequence number at the end of a queue and its first `len` bytes (peeked).
uint32_t read_queue(int sock, int queue, uint32_t len, std::string& out) {
  if (::setsockopt(sock, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue, sizeof queue) != 0)
    throw_errno("setsockopt(TCP_REPAIR_QUEUE, {})", queue);
  uint32_t seq = 0;
  socklen_t seq_len = sizeof seq;
  if (::getsockopt(sock, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, &seq_len) != 0)
    throw_errno("getsockopt(TCP_QUEUE_SEQ)");
  if (len == 0) return seq;
  // One byte more than expected: the queue may change under a reader (see the caller), which
  // then reads again; the bytes are taken as found.
  std::string buffer(len + 1, '\0');
  ssize_t n = ::recv(sock, buffer.data(), buffer.size(), MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) throw_errno("peek the {} queue", queue == TCP_SEND_QUEUE ? "send" : "receive");
  len = std::min(len, static_cast<uint32_t>(n));
  out.append(buffer.data(), len);
  return seq;
}

void read_window(int sock, records::TcpConnection& c) {
  tcp_repair_window window{};
  socklen_t len = sizeof window;
  if (::getsockopt(sock, IPPROTO_TCP, TCP_REPAIR_WINDOW, &window, &len) != 0)
    throw_errno("getsockopt(TCP_REPAIR_WINDOW)");
  c.snd_wl1 = window.snd_wl1;
  c.snd_wnd = window.snd_wnd;
  c.max_window = window.max_window;
  c.rcv_wnd = window.rcv_wnd;
  c.rcv_wup = window.rcv_wup;
}

void read_handshake_options(int sock, records::TcpConnection& c) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(sock, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
    throw_errno("getsockopt(TCP_INFO)");
  c.options = info.tcpi_options;
  c.snd_wscale = info.tcpi_snd_wscale;
  c.rcv_wscale = info.tcpi_rcv_wscale;
  c.mss_clamp = static_cast<uint32_t>(socket_int_option(sock, IPPROTO_TCP, TCP_MAXSEG));
  if (c.options & TCPI_OPT_TIMESTAMPS)
    c.timestamp = static_cast<uint32_t>(socket_int_option(sock, IPPROTO_TCP, TCP_TIMESTAMP));
}

void read_socket_options(int sock, records::TcpConnection& c) {
  c.no_delay = socket_int_option(sock, IPPROTO_TCP, TCP_NODELAY);
  c.cork = socket_int_option(sock, IPPROTO_TCP, TCP_CORK);
  c.keep_alive = socket_int_option(sock, SOL_SOCKET, SO_KEEPALIVE);
  c.keep_idle = socket_int_option(sock, IPPROTO_TCP, TCP_KEEPIDLE);
  c.keep_interval = socket_int_option(sock, IPPROTO_TCP, TCP_KEEPINTVL);
  c.keep_count = socket_int_option(sock, IPPROTO_TCP, TCP_KEEPCNT);
  c.reuse_port = socket_int_option(sock, SOL_SOCKET, SO_REUSEPORT);
  c.v6_only = c.family == AF_INET6 && socket_int_option(sock, IPPROTO_IPV6, IPV6_V6ONLY);
  c.send_buffer = socket_int_option(sock, SOL_SOCKET, SO_SNDBUF);
  c.receive_buffer = socket_int_option(sock, SOL_SOCKET, SO_RCVBUF);
}

// What every connection's record holds: its addresses, state and socket options.
records::TcpConnection record_of(int sock, const TcpSocketFacts& facts) {
  records::TcpConnection c;
  c.family = facts.family;
  c.local = facts.local;
  c.peer = facts.peer;
  c.state = facts.state;
  read_socket_options(sock, c);
  c.reuse_address = facts.reuse_address;
  c.socket_options = facts.options;
  return c;
}

}  // namespace

std::optional<TcpSocketFacts> probe_tcp_connection(int sock) {
  int family = socket_int_option(sock, SOL_SOCKET, SO_DOMAIN);
  if (family != AF_INET && family != AF_INET6) return std::nullopt;
  if (socket_int_option(sock, SOL_SOCKET, SO_TYPE) != SOCK_STREAM) return std::nullopt;
  if (socket_int_option(sock, SOL_SOCKET, SO_PROTOCOL) != IPPROTO_TCP) return std::nullopt;
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(sock, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return std::nullopt;
  if (info.tcpi_state == TCP_LISTEN || info.tcpi_state == TCP_CLOSE) return std::nullopt;
  TcpSocketFacts facts;
  facts.family = family;
  facts.state = info.tcpi_state;
  facts.reuse_address = socket_int_option(sock, SOL_SOCKET, SO_REUSEADDR);
  facts.local = address(sock, false);
  facts.peer = info.tcpi_state == TCP_SYN_SENT ? peer_being_connected(sock, family)
                                                : address(sock, true);
  return facts;
}

// Bytes given to the socket before its handshake ended (TCP fast open: sendto(MSG_FASTOPEN)),
// sent with the SYN or waiting. SIOCOUTQ says 0 in SYN_SENT whatever is queued.
bool has_handshake_bytes(int sock) {
  TcpInfoBytes bytes = tcp_info_bytes(sock);
  return bytes.bytes_sent != 0 || bytes.notsent_bytes != 0;
}

records::TcpConnection read_connecting(int sock, const TcpSocketFacts& facts) {
  if (has_handshake_bytes(sock))
    fail(ErrorKind::kRefused,
         "TCP connection {} in its handshake has bytes queued (TCP fast open): not supported "
         "(a moment away from established: dump again)",
         describe_connection(facts));
  return record_of(sock, facts);
}

RepairMode::RepairMode(UniqueFd sock) : sock_(std::move(sock)) {
  set_repair(sock_.get(), TCP_REPAIR_ON);
}

RepairMode::~RepairMode() {
  if (keep_ || !sock_) return;
  int off = TCP_REPAIR_OFF;
  if (::setsockopt(sock_.get(), IPPROTO_TCP, TCP_REPAIR, &off, sizeof off) != 0)
    spdlog::warn("TCP_REPAIR off: {}", std::strerror(errno));
}

TcpSnapshot read_connection(const RepairMode& repair, const TcpSocketFacts& facts) {
  int sock = repair.fd();
  TcpSnapshot s;
  s.record = record_of(sock, facts);
  records::TcpConnection& c = s.record;
  c.send_queue_len = ioctl_size(sock, SIOCOUTQ, "SIOCOUTQ");
  c.unsent_len = ioctl_size(sock, SIOCOUTQNSD, "SIOCOUTQNSD");
  // Our FIN, not yet acknowledged (FIN_WAIT1) or not yet sent, is counted in the queue lengths
  // (the sequence numbers to the end of the queue), though no byte of the queue is.
  if (records::own_fin_sent(c.state) && c.send_queue_len > 0) --c.send_queue_len;
  if (records::own_fin_sent(c.state) && c.unsent_len > 0) --c.unsent_len;
  c.recv_queue_len = ioctl_size(sock, SIOCINQ, "SIOCINQ");
  read_handshake_options(sock, c);
  read_window(sock, c);
  c.send_seq = read_queue(sock, TCP_SEND_QUEUE, c.send_queue_len, s.queued);
  c.recv_seq = read_queue(sock, TCP_RECV_QUEUE, c.recv_queue_len, s.queued);
  return s;
}

}  // namespace ckpt::dump
