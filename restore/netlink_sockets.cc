// Restore of netlink sockets: made again in the restored network namespace (the root task is in
// it), bound to their port id and joined to their multicast groups.
#include <fcntl.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include "common/error.h"
#include "restore/event_files.h"

namespace ckpt::restore {

UniqueFd open_netlink(const records::NetlinkSocket& n, uint32_t flags) {
  UniqueFd fd(::socket(AF_NETLINK, n.type | SOCK_CLOEXEC, n.protocol));
  if (!fd) throw_errno("socket(AF_NETLINK, protocol {})", n.protocol);
  if (n.port_id != 0) {
    sockaddr_nl addr{};
    addr.nl_family = AF_NETLINK;
    addr.nl_pid = n.port_id;
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
      throw_errno("bind netlink socket (protocol {}) to port {}", n.protocol, n.port_id);
  }
  for (uint32_t group : n.groups) {
    if (::setsockopt(fd.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0)
      throw_errno("netlink (protocol {}): join group {}", n.protocol, group);
  }
  if (::fcntl(fd.get(), F_SETFL, static_cast<int>(flags) & O_NONBLOCK) != 0)
    throw_errno("fcntl(netlink socket)");
  return fd;
}

}  // namespace ckpt::restore
