#include "netns/nl_objects.h"

#include <netlink/route/link.h>

namespace ckpt::netns {

NlSock connect_route_socket() {
  NlSock sock(nl_socket_alloc());
  if (!sock) fail("nl_socket_alloc: out of memory");
  check_nl(nl_connect(sock.get(), NETLINK_ROUTE), "nl_connect(NETLINK_ROUTE)");
  return sock;
}

std::string addr_to_string(const nl_addr* addr) {
  if (!addr || nl_addr_get_len(addr) == 0) return "";
  NlAddr full(nl_addr_clone(addr));
  nl_addr_set_prefixlen(full.get(), static_cast<int>(nl_addr_get_len(addr)) * 8);
  char buf[128];
  std::string text = nl_addr2str(full.get(), buf, sizeof buf);
  auto slash = text.find('/');
  if (slash != std::string::npos) text.resize(slash);
  return text;
}

NlAddr parse_addr(const std::string& text, int family, int prefix) {
  nl_addr* raw = nullptr;
  check_nl(nl_addr_parse(text.c_str(), family, &raw), "address {}", text);
  NlAddr addr(raw);
  if (family != AF_LLC)
    nl_addr_set_prefixlen(addr.get(),
                          prefix >= 0 ? prefix : 8 * static_cast<int>(nl_addr_get_len(raw)));
  return addr;
}

}  // namespace ckpt::netns
