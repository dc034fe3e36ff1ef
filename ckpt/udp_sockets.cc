#include "ckpt/udp_sockets.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include "ckpt/sockets_holders.h"
#include "ckpt/sockets_multicast.h"
#include "ckpt/sockets_options.h"
#include "ckpt/sockets.h"
#include "common/error.h"
#include "common/proc/pidfd.h"

namespace ckpt::dump {

namespace {

std::string as_bytes(const sockaddr_storage& addr, socklen_t len) {
  return std::string(reinterpret_cast<const char*>(&addr), len);
}

records::UdpSocket read_udp_socket(uint64_t id, SocketHolder holder,
                                   const std::vector<proc::JoinedGroup>& groups) {
  UniqueFd sock = proc::take_fd(holder.pid, holder.fd);
  int s = sock.get();
  records::UdpSocket r;
  r.id = id;
  r.family = socket_int_option(s, SOL_SOCKET, SO_DOMAIN);
  r.protocol = socket_int_option(s, SOL_SOCKET, SO_PROTOCOL);
  r.local = bound_address(s, holder.pid, holder.fd);
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(s, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    r.peer = as_bytes(addr, len);
  else if (errno != ENOTCONN)
    throw_errno("getpeername(pid {} fd {})", holder.pid, holder.fd);
  r.reuse_address = socket_int_option(s, SOL_SOCKET, SO_REUSEADDR);
  r.reuse_port = socket_int_option(s, SOL_SOCKET, SO_REUSEPORT);
  r.broadcast = socket_int_option(s, SOL_SOCKET, SO_BROADCAST);
  r.v6_only = r.family == AF_INET6 && socket_int_option(s, IPPROTO_IPV6, IPV6_V6ONLY);
  r.send_buffer = socket_int_option(s, SOL_SOCKET, SO_SNDBUF);
  r.receive_buffer = socket_int_option(s, SOL_SOCKET, SO_RCVBUF);
  r.options = read_socket_options(s, holder.pid, holder.fd);
  r.options.memberships = read_memberships(
      s, groups, "pid " + std::to_string(holder.pid) + " fd " + std::to_string(holder.fd));
  return r;
}

}  // namespace

records::UdpSocketsState collect_udp_sockets(const records::FilesState& files) {
  records::UdpSocketsState state;
  auto holders = socket_holders(files, records::FileKind::kUdpSocket);
  if (holders.empty()) return state;
  // Every holder is in the container's network namespace (nested ones are refused).
  auto groups = namespace_groups(holders.begin()->second.pid);
  for (const auto& [id, holder] : holders) state.sockets.push_back(read_udp_socket(id, holder, groups));
  return state;
}

}  // namespace ckpt::dump
