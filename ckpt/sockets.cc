#include "ckpt/sockets.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "common/error.h"
#include "common/proc/pidfd.h"

namespace ckpt::dump {

int socket_int_option(int fd, int level, int name) {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, name, &value, &len) != 0) return 0;
  return value;
}

std::optional<records::ListeningSocket> probe_listening_socket(pid_t pid, int fd) {
  UniqueFd sock = proc::take_fd(pid, fd);
  int s = sock.get();
  int family = socket_int_option(s, SOL_SOCKET, SO_DOMAIN);
  if (family != AF_INET && family != AF_INET6) return std::nullopt;
  if (socket_int_option(s, SOL_SOCKET, SO_TYPE) != SOCK_STREAM) return std::nullopt;
  if (!socket_int_option(s, SOL_SOCKET, SO_ACCEPTCONN)) return std::nullopt;

  records::ListeningSocket l;
  l.family = family;
  l.protocol = socket_int_option(s, SOL_SOCKET, SO_PROTOCOL);
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw_errno("getsockname(pid {} fd {})", pid, fd);
  l.address.assign(reinterpret_cast<const char*>(&addr), len);
  // For a listening socket, TCP_INFO's tcpi_sacked is its backlog (sk_max_ack_backlog).
  tcp_info info{};
  socklen_t info_len = sizeof info;
  if (::getsockopt(s, IPPROTO_TCP, TCP_INFO, &info, &info_len) != 0)
    throw_errno("TCP_INFO(pid {} fd {})", pid, fd);
  l.backlog = static_cast<int32_t>(info.tcpi_sacked);
  l.reuse_address = socket_int_option(s, SOL_SOCKET, SO_REUSEADDR);
  l.reuse_port = socket_int_option(s, SOL_SOCKET, SO_REUSEPORT);
  l.v6_only = family == AF_INET6 && socket_int_option(s, IPPROTO_IPV6, IPV6_V6ONLY);
  l.no_delay = socket_int_option(s, IPPROTO_TCP, TCP_NODELAY);
  l.keep_alive = socket_int_option(s, SOL_SOCKET, SO_KEEPALIVE);
  return l;
}

std::optional<records::FileKind> socket_kind_of(pid_t pid, int fd) {
  UniqueFd sock = proc::take_fd(pid, fd);
  int family = socket_int_option(sock.get(), SOL_SOCKET, SO_DOMAIN);
  int type = socket_int_option(sock.get(), SOL_SOCKET, SO_TYPE);
  if (family == AF_UNIX) return records::FileKind::kUnixSocket;
  bool udp =
      type == SOCK_DGRAM && socket_int_option(sock.get(), SOL_SOCKET, SO_PROTOCOL) == IPPROTO_UDP;
  if ((family == AF_INET || family == AF_INET6) && udp) return records::FileKind::kUdpSocket;
  return std::nullopt;
}

}  // namespace ckpt::dump
