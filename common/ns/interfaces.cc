#include "common/ns/interfaces.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>

#include <fmt/format.h>

#include <sstream>

#include "common/error.h"
#include "common/ns/in_thread.h"

namespace ckpt::ns {

namespace {

int prefix_of(const sockaddr* mask, int family) {
  if (!mask) return 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(
      family == AF_INET
          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(mask)->sin_addr)
          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr));
  int prefix = 0;
  for (int i = 0; i < (family == AF_INET ? 4 : 16); ++i) prefix += __builtin_popcount(bytes[i]);
  return prefix;
}

// One line per entry, "NAME mac MAC" or "NAME inet ADDRESS PREFIX" (text crosses the thread).
std::string list_here() {
  struct ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) throw_errno("getifaddrs");
  std::string out;
  for (auto* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || (a->ifa_flags & IFF_LOOPBACK)) continue;
    int family = a->ifa_addr->sa_family;
    if (family == AF_PACKET) {
      const auto* ll = reinterpret_cast<const sockaddr_ll*>(a->ifa_addr);
      if (ll->sll_halen == 6)
        out += fmt::format("{} mac {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}\n", a->ifa_name,
                           ll->sll_addr[0], ll->sll_addr[1], ll->sll_addr[2], ll->sll_addr[3],
                           ll->sll_addr[4], ll->sll_addr[5]);
      continue;
    }
    if (family != AF_INET && family != AF_INET6) continue;
    char host[INET6_ADDRSTRLEN] = {};
    const void* addr =
        family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr);
    ::inet_ntop(family, addr, host, sizeof host);
    out += fmt::format("{} {} {} {}\n", a->ifa_name, family == AF_INET ? "inet" : "inet6", host,
                       prefix_of(a->ifa_netmask, family));
  }
  ::freeifaddrs(list);
  return out;
}

Interface& named(std::vector<Interface>& interfaces, const std::string& name) {
  for (auto& i : interfaces)
    if (i.name == name) return i;
  interfaces.push_back({name, {}, {}});
  return interfaces.back();
}

}  // namespace

std::vector<Interface> interfaces_of(pid_t pid) {
  std::istringstream in(in_namespaces_of(pid, CLONE_NEWNET, list_here));
  std::vector<Interface> interfaces;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string name, kind;
    words >> name >> kind;
    Interface& i = named(interfaces, name);
    if (kind == "mac") {
      words >> i.mac;
    } else {
      InterfaceAddress a{kind, {}, 0};
      words >> a.address >> a.prefix;
      i.addresses.push_back(a);
    }
  }
  return interfaces;
}

}  // namespace ckpt::ns
