#include "restore/sockets.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "common/error.h"
#include "common/sockaddr_text.h"
#include "restore/sockets_options.h"

namespace ckpt::restore {

namespace {

// A TCP socket with the options of `l`, bound to its address (if any).
UniqueFd make_tcp_socket(const records::FileDescription& d) {
  const auto& l = d.socket;
  UniqueFd fd(::socket(l.family, SOCK_STREAM | SOCK_CLOEXEC, l.protocol));
  if (!fd) throw_errno("socket(family {})", l.family);
  set_sockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, l.reuse_address, "SO_REUSEADDR");
  set_sockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, l.reuse_port, "SO_REUSEPORT");
  if (l.family == AF_INET6)
    set_sockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, l.v6_only, "IPV6_V6ONLY");
  set_sockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, l.no_delay, "TCP_NODELAY");
  set_sockopt(fd.get(), SOL_SOCKET, SO_KEEPALIVE, l.keep_alive, "SO_KEEPALIVE");
  apply_socket_options(fd.get(), l.options);
  if (!l.address.empty() && ::bind(fd.get(), as_sockaddr(l.address), sockaddr_size(l.address)) != 0)
    throw_errno("restore files: bind TCP socket to {}", describe_sockaddr(l.address));
  if (::fcntl(fd.get(), F_SETFL, static_cast<int>(d.flags) & O_NONBLOCK) != 0)
    throw_errno("fcntl(F_SETFL) on a TCP socket");
  return fd;
}

}  // namespace

UniqueFd open_listening_socket(const records::FileDescription& d) {
  UniqueFd fd = make_tcp_socket(d);
  if (::listen(fd.get(), d.socket.backlog) != 0)
    throw_errno("listen({})", describe_sockaddr(d.socket.address));
  return fd;
}

UniqueFd open_tcp_socket(const records::FileDescription& d) {
  return make_tcp_socket(d);
}

}  // namespace ckpt::restore
