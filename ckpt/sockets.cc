#include "ckpt/sockets.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "ckpt/sockets_options.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/proc/pidfd.h"
#include "common/sockaddr_text.h"

namespace ckpt::dump {

namespace {

bool is_unbound(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    return in.sin_port == 0 && in.sin_addr.s_addr == htonl(INADDR_ANY);
  }
  const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
  return in6.sin6_port == 0 && IN6_IS_ADDR_UNSPECIFIED(&in6.sin6_addr);
}

}  // namespace

std::string bound_address(int sock, pid_t pid, int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw_errno("getsockname(pid {} fd {})", pid, fd);
  if (is_unbound(addr)) return {};
  return std::string(reinterpret_cast<const char*>(&addr), len);
}

int socket_int_option(int fd, int level, int name) {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, name, &value, &len) != 0) return 0;
  return value;
}


namespace {

// What a listening and a closed TCP socket have alike: family, address, options.
records::ListeningSocket read_tcp_socket(int s, pid_t pid, int fd) {
  records::ListeningSocket l;
  l.family = socket_int_option(s, SOL_SOCKET, SO_DOMAIN);
  l.protocol = socket_int_option(s, SOL_SOCKET, SO_PROTOCOL);
  l.address = bound_address(s, pid, fd);
  l.reuse_address = socket_int_option(s, SOL_SOCKET, SO_REUSEADDR);
  l.reuse_port = socket_int_option(s, SOL_SOCKET, SO_REUSEPORT);
  l.v6_only = l.family == AF_INET6 && socket_int_option(s, IPPROTO_IPV6, IPV6_V6ONLY);
  l.no_delay = socket_int_option(s, IPPROTO_TCP, TCP_NODELAY);
  l.keep_alive = socket_int_option(s, SOL_SOCKET, SO_KEEPALIVE);
  l.options = read_socket_options(s, pid, fd);
  return l;
}

}  // namespace

std::optional<records::ListeningSocket> probe_listening_socket(pid_t pid, int fd) {
  UniqueFd sock = proc::take_fd(pid, fd);
  int s = sock.get();
  int family = socket_int_option(s, SOL_SOCKET, SO_DOMAIN);
  if (family != AF_INET && family != AF_INET6) return std::nullopt;
  if (socket_int_option(s, SOL_SOCKET, SO_TYPE) != SOCK_STREAM) return std::nullopt;
  if (!socket_int_option(s, SOL_SOCKET, SO_ACCEPTCONN)) return std::nullopt;

  records::ListeningSocket l = read_tcp_socket(s, pid, fd);
  // For a listening socket, TCP_INFO's tcpi_sacked is its backlog (sk_max_ack_backlog).
  tcp_info info{};
  socklen_t info_len = sizeof info;
  if (::getsockopt(s, IPPROTO_TCP, TCP_INFO, &info, &info_len) != 0)
    throw_errno("TCP_INFO(pid {} fd {})", pid, fd);
  l.backlog = static_cast<int32_t>(info.tcpi_sacked);
  // ...and tcpi_unacked the connections made and not yet accepted (sk_ack_backlog), which only
  // accept() can take out of the queue and nothing can put back into one.
  if (info.tcpi_unacked > 0)
    fail(ErrorKind::kRefused,
         "pid {} fd {}: TCP listener {} has {} connection(s) waiting to be accepted, which a "
         "restored listener cannot be given again (dump once the server accepted them)",
         pid, fd, describe_sockaddr(l.address), info.tcpi_unacked);
  return l;
}

records::ListeningSocket read_closed_tcp_socket(pid_t pid, int fd) {
  UniqueFd sock = proc::take_fd(pid, fd);
  return read_tcp_socket(sock.get(), pid, fd);
}

std::optional<records::FileKind> socket_kind_of(pid_t pid, int fd) {
  UniqueFd sock = proc::take_fd(pid, fd);
  int family = socket_int_option(sock.get(), SOL_SOCKET, SO_DOMAIN);
  int type = socket_int_option(sock.get(), SOL_SOCKET, SO_TYPE);
  if (family == AF_UNIX) return records::FileKind::kUnixSocket;
  bool udp =
      type == SOCK_DGRAM && socket_int_option(sock.get(), SOL_SOCKET, SO_PROTOCOL) == IPPROTO_UDP;
  if ((family == AF_INET || family == AF_INET6) && udp) return records::FileKind::kUdpSocket;
  bool tcp = type == SOCK_STREAM &&
             socket_int_option(sock.get(), SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP;
  tcp_info info{};
  socklen_t len = sizeof info;
  if ((family == AF_INET || family == AF_INET6) && tcp &&
      ::getsockopt(sock.get(), IPPROTO_TCP, TCP_INFO, &info, &len) == 0 &&
      info.tcpi_state == TCP_CLOSE)
    return records::FileKind::kTcpSocket;
  return std::nullopt;
}

}  // namespace ckpt::dump
