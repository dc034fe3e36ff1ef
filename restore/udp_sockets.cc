#include "restore/udp_sockets.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/error.h"
#include "restore/sockets_options.h"

namespace ckpt::restore {

UniqueFd open_udp_socket(const records::UdpSocket& r, const records::FileDescription& d) {
  UniqueFd fd(::socket(r.family, SOCK_DGRAM | SOCK_CLOEXEC, r.protocol));
  if (!fd) throw_errno("restore UDP socket: socket(family {})", r.family);
  int s = fd.get();
  set_sockopt(s, SOL_SOCKET, SO_REUSEADDR, r.reuse_address, "SO_REUSEADDR");
  set_sockopt(s, SOL_SOCKET, SO_REUSEPORT, r.reuse_port, "SO_REUSEPORT");
  set_sockopt(s, SOL_SOCKET, SO_BROADCAST, r.broadcast, "SO_BROADCAST");
  if (r.family == AF_INET6) set_sockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, r.v6_only, "IPV6_V6ONLY");
  // The kernel doubles what it is given and reports the doubled value.
  if (r.send_buffer > 0) set_sockopt(s, SOL_SOCKET, SO_SNDBUF, r.send_buffer / 2, "SO_SNDBUF");
  if (r.receive_buffer > 0)
    set_sockopt(s, SOL_SOCKET, SO_RCVBUF, r.receive_buffer / 2, "SO_RCVBUF");
  apply_socket_options(s, r.options);
  if (!r.local.empty() && ::bind(s, as_sockaddr(r.local), sockaddr_size(r.local)) != 0)
    throw_errno("restore UDP socket {}: bind", r.id);
  if (!r.peer.empty() && ::connect(s, as_sockaddr(r.peer), sockaddr_size(r.peer)) != 0)
    throw_errno("restore UDP socket {}: connect", r.id);
  int status = static_cast<int>(d.flags) & (O_NONBLOCK | O_ASYNC);
  if (::fcntl(s, F_SETFL, status) != 0) throw_errno("fcntl(F_SETFL) on a UDP socket");
  return fd;
}

}  // namespace ckpt::restore
