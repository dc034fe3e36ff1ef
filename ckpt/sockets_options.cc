#include "ckpt/sockets_options.h"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <utility>

#include "ckpt/sockets.h"

namespace ckpt::dump {

namespace {

using Option = std::pair<int, int>;  // level, name

constexpr std::array kSocketLevel = {
    Option{SOL_SOCKET, SO_REUSEADDR}, Option{SOL_SOCKET, SO_REUSEPORT},
    Option{SOL_SOCKET, SO_KEEPALIVE}, Option{SOL_SOCKET, SO_BROADCAST},
    Option{SOL_SOCKET, SO_OOBINLINE},
    Option{SOL_SOCKET, SO_RCVLOWAT},  Option{SOL_SOCKET, SO_MARK},
    Option{SOL_SOCKET, SO_DONTROUTE}, Option{SOL_SOCKET, SO_SNDBUF},
    Option{SOL_SOCKET, SO_RCVBUF},
};
constexpr std::array kIpv4 = {
    Option{IPPROTO_IP, IP_TOS},          Option{IPPROTO_IP, IP_TTL},
    Option{IPPROTO_IP, IP_FREEBIND},     Option{IPPROTO_IP, IP_TRANSPARENT},
    Option{IPPROTO_IP, IP_MTU_DISCOVER}, Option{IPPROTO_IP, IP_RECVERR},
    Option{IPPROTO_IP, IP_MULTICAST_TTL}, Option{IPPROTO_IP, IP_MULTICAST_LOOP},
};
constexpr std::array kIpv6 = {
    Option{IPPROTO_IPV6, IPV6_V6ONLY},        Option{IPPROTO_IPV6, IPV6_TCLASS},
    Option{IPPROTO_IPV6, IPV6_UNICAST_HOPS},  Option{IPPROTO_IPV6, IPV6_MTU_DISCOVER},
    Option{IPPROTO_IPV6, IPV6_RECVERR},       Option{IPPROTO_IPV6, IPV6_MULTICAST_HOPS},
    Option{IPPROTO_IPV6, IPV6_MULTICAST_LOOP}, Option{IPPROTO_IPV6, IPV6_FREEBIND},
};
constexpr std::array kTcp = {
    Option{IPPROTO_TCP, TCP_NODELAY},      Option{IPPROTO_TCP, TCP_CORK},
    Option{IPPROTO_TCP, TCP_MAXSEG},       Option{IPPROTO_TCP, TCP_KEEPIDLE},
    Option{IPPROTO_TCP, TCP_KEEPINTVL},    Option{IPPROTO_TCP, TCP_KEEPCNT},
    Option{IPPROTO_TCP, TCP_USER_TIMEOUT}, Option{IPPROTO_TCP, TCP_SYNCNT},
    Option{IPPROTO_TCP, TCP_LINGER2},      Option{IPPROTO_TCP, TCP_DEFER_ACCEPT},
    Option{IPPROTO_TCP, TCP_NOTSENT_LOWAT}, Option{IPPROTO_TCP, TCP_FASTOPEN},
    Option{IPPROTO_TCP, TCP_THIN_LINEAR_TIMEOUTS},
};

template <class Options>
void read_ints(int sock, const Options& options, records::SocketOptions& out) {
  for (auto [level, name] : options) {
    int value = 0;
    socklen_t len = sizeof value;
    if (::getsockopt(sock, level, name, &value, &len) == 0 && len == sizeof value)
      out.ints.push_back({level, name, value});
  }
}

}  // namespace

records::SocketOptions read_socket_options(int sock) {
  records::SocketOptions options;
  int family = socket_int_option(sock, SOL_SOCKET, SO_DOMAIN);
  bool tcp = socket_int_option(sock, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP;
  read_ints(sock, kSocketLevel, options);
  if (family == AF_INET) read_ints(sock, kIpv4, options);
  if (family == AF_INET6) read_ints(sock, kIpv6, options);
  if (tcp) read_ints(sock, kTcp, options);
  // Last: setting IP_TOS or IPV6_TCLASS sets the priority too.
  read_ints(sock, std::array{Option{SOL_SOCKET, SO_PRIORITY}}, options);
  linger l{};
  socklen_t len = sizeof l;
  if (::getsockopt(sock, SOL_SOCKET, SO_LINGER, &l, &len) == 0) {
    options.linger = l.l_onoff != 0;
    options.linger_seconds = l.l_linger;
  }
  if (tcp) {
    char name[32] = {};
    len = sizeof name;
    if (::getsockopt(sock, IPPROTO_TCP, TCP_CONGESTION, name, &len) == 0)
      options.congestion.assign(name, strnlen(name, len));
  }
  return options;
}

}  // namespace ckpt::dump
