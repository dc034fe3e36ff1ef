#include "ckpt/sockets.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "common/error.h"
#include "common/proc/pidfd.h"

namespace ckpt::dump {

int int_sockopt(int fd, int level, int name) {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, name, &value, &len) != 0) return 0;
  return value;
}

namespace {

int int_option(int fd, int level, int name) {
  return int_sockopt(fd, level, name);
}

}  // namespace

std::optional<records::ListeningSocket> probe_listening_socket(pid_t pid, int fd) {
  UniqueFd sock = proc::take_fd(pid, fd);
  int s = sock.get();
  int family = int_option(s, SOL_SOCKET, SO_DOMAIN);
  if (family != AF_INET && family != AF_INET6) return std::nullopt;
  if (int_option(s, SOL_SOCKET, SO_TYPE) != SOCK_STREAM) return std::nullopt;
  if (!int_option(s, SOL_SOCKET, SO_ACCEPTCONN)) return std::nullopt;

  records::ListeningSocket l;
  l.family = family;
  l.protocol = int_option(s, SOL_SOCKET, SO_PROTOCOL);
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
  l.reuse_address = int_option(s, SOL_SOCKET, SO_REUSEADDR);
  l.reuse_port = int_option(s, SOL_SOCKET, SO_REUSEPORT);
  l.v6_only = family == AF_INET6 && int_option(s, IPPROTO_IPV6, IPV6_V6ONLY);
  l.no_delay = int_option(s, IPPROTO_TCP, TCP_NODELAY);
  l.keep_alive = int_option(s, SOL_SOCKET, SO_KEEPALIVE);
  return l;
}

}  // namespace ckpt::dump
