#include "common/socket_interface.h"

#include <net/if.h>
#include <sys/ioctl.h>

#include <cstring>

#include "common/error.h"

namespace ckpt {

std::string interface_name(int sock, int ifindex, const std::string& who) {
  ifreq request{};
  request.ifr_ifindex = ifindex;
  if (::ioctl(sock, SIOCGIFNAME, &request) != 0)
    throw_errno("{}: the name of interface {}", who, ifindex);
  return std::string(request.ifr_name, strnlen(request.ifr_name, IFNAMSIZ));
}

int interface_index(int sock, const std::string& name, const std::string& who) {
  ifreq request{};
  if (name.empty() || name.size() >= IFNAMSIZ) fail("{}: bad interface name '{}'", who, name);
  std::memcpy(request.ifr_name, name.data(), name.size());
  if (::ioctl(sock, SIOCGIFINDEX, &request) != 0)
    throw_errno("{}: interface {}", who, name);
  return request.ifr_ifindex;
}

}  // namespace ckpt
