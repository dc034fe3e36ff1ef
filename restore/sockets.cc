#include "restore/sockets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "common/error.h"

namespace ckpt::restore {

namespace {

void set_flag(int fd, int level, int name, bool on, const char* what) {
  int value = on ? 1 : 0;
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) throw_errno("setsockopt({})", what);
}

// "10.0.0.2:7000" / "[::]:80" for error messages.
std::string describe_address(const std::string& raw) {
  char host[INET6_ADDRSTRLEN] = "?";
  const auto* sa = reinterpret_cast<const sockaddr*>(raw.data());
  if (raw.size() >= sizeof(sockaddr_in) && sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(raw.data());
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (raw.size() >= sizeof(sockaddr_in6) && sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(raw.data());
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "?";
}

}  // namespace

UniqueFd open_listening_socket(const records::FileDescription& d) {
  const auto& l = d.socket;
  UniqueFd fd(::socket(l.family, SOCK_STREAM | SOCK_CLOEXEC, l.protocol));
  if (!fd) throw_errno("socket(family {})", l.family);
  set_flag(fd.get(), SOL_SOCKET, SO_REUSEADDR, l.reuse_address, "SO_REUSEADDR");
  set_flag(fd.get(), SOL_SOCKET, SO_REUSEPORT, l.reuse_port, "SO_REUSEPORT");
  if (l.family == AF_INET6) set_flag(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, l.v6_only, "IPV6_V6ONLY");
  set_flag(fd.get(), IPPROTO_TCP, TCP_NODELAY, l.no_delay, "TCP_NODELAY");
  set_flag(fd.get(), SOL_SOCKET, SO_KEEPALIVE, l.keep_alive, "SO_KEEPALIVE");
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(l.address.data()),
             static_cast<socklen_t>(l.address.size())) != 0)
    throw_errno("restore files: bind listening socket to {}", describe_address(l.address));
  if (::listen(fd.get(), l.backlog) != 0) throw_errno("listen({})", describe_address(l.address));
  if (::fcntl(fd.get(), F_SETFL, static_cast<int>(d.flags) & O_NONBLOCK) != 0)
    throw_errno("fcntl(F_SETFL) on listening socket");
  return fd;
}

}  // namespace ckpt::restore
