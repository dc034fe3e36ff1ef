#include "ckpt/sockets_options.h"

#include <linux/filter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <utility>

#include "ckpt/sockets.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/socket_interface.h"

namespace ckpt::dump {

namespace {

using Option = std::pair<int, int>;  // level, name

// From linux/in.h and linux/in6.h, which glibc's netinet/in.h leaves out.
constexpr int kIpLocalPortRange = 51;  // IP_LOCAL_PORT_RANGE
constexpr int kIpv6FlowInfo = 11;      // IPV6_FLOWINFO
constexpr int kIpv6FlowInfoSend = 33;  // IPV6_FLOWINFO_SEND
// From asm-generic/socket.h of kernels newer than these headers.
constexpr int kSoPassPidfd = 76;     // SO_PASSPIDFD
constexpr int kSoRcvPriority = 82;   // SO_RCVPRIORITY
constexpr int kSoPassRights = 83;    // SO_PASSRIGHTS

// Left out on purpose, as their reading is state rather than a setting: SO_INCOMING_CPU (the
// CPU that last handled the socket), SO_INCOMING_NAPI_ID, SO_COOKIE, SO_ERROR, SO_ACCEPTCONN,
// TCP_QUICKACK (the current quick-ack mode, which the stack switches by itself), IP_MTU and
// IPV6_MTU (the path's MTU), TCP_MAXSEG and TCP_WINDOW_CLAMP of a connection (negotiated).
// SO_PEERPIDFD is not read either: reading it makes a pidfd. SO_BUSY_POLL_BUDGET cannot be read.
// SO_PEEK_OFF of a unix socket goes with its queue (records::UnixSocket). Order matters where
// options touch each other: timestamps old before new, buffers before SO_BUF_LOCK (setting a
// buffer locks it), SO_LOCK_FILTER after the filter (applied first), SO_PRIORITY last.
constexpr std::array kSocketLevel = {
    Option{SOL_SOCKET, SO_REUSEADDR},        Option{SOL_SOCKET, SO_REUSEPORT},
    Option{SOL_SOCKET, SO_KEEPALIVE},        Option{SOL_SOCKET, SO_BROADCAST},
    Option{SOL_SOCKET, SO_OOBINLINE},        Option{SOL_SOCKET, SO_NO_CHECK},
    Option{SOL_SOCKET, SO_RCVLOWAT},         Option{SOL_SOCKET, SO_MARK},
    Option{SOL_SOCKET, SO_DONTROUTE},        Option{SOL_SOCKET, SO_SNDBUF},
    Option{SOL_SOCKET, SO_RCVBUF},           Option{SOL_SOCKET, SO_BUF_LOCK},
    Option{SOL_SOCKET, SO_PASSCRED},         Option{SOL_SOCKET, SO_PASSSEC},
    Option{SOL_SOCKET, kSoPassPidfd},        Option{SOL_SOCKET, kSoPassRights},
    Option{SOL_SOCKET, kSoRcvPriority},      Option{SOL_SOCKET, SO_DEBUG},
    Option{SOL_SOCKET, SO_TIMESTAMP_OLD},    Option{SOL_SOCKET, SO_TIMESTAMPNS_OLD},
    Option{SOL_SOCKET, SO_TIMESTAMPING_OLD}, Option{SOL_SOCKET, SO_TIMESTAMP_NEW},
    Option{SOL_SOCKET, SO_TIMESTAMPNS_NEW},  Option{SOL_SOCKET, SO_RXQ_OVFL},
    Option{SOL_SOCKET, SO_WIFI_STATUS},      Option{SOL_SOCKET, SO_SELECT_ERR_QUEUE},
    Option{SOL_SOCKET, SO_BUSY_POLL},        Option{SOL_SOCKET, SO_PREFER_BUSY_POLL},
    Option{SOL_SOCKET, SO_MAX_PACING_RATE},  Option{SOL_SOCKET, SO_ZEROCOPY},
    Option{SOL_SOCKET, SO_TXREHASH},
    Option{SOL_SOCKET, SO_RCVMARK},          Option{SOL_SOCKET, SO_RESERVE_MEM},
    Option{SOL_SOCKET, SO_LOCK_FILTER},
};
// IPv4 options, also read on an IPv6 socket (they apply to its IPv4-mapped traffic).
constexpr std::array kIpv4 = {
    Option{IPPROTO_IP, IP_TOS},             Option{IPPROTO_IP, IP_TTL},
    Option{IPPROTO_IP, IP_FREEBIND},        Option{IPPROTO_IP, IP_TRANSPARENT},
    Option{IPPROTO_IP, IP_MTU_DISCOVER},    Option{IPPROTO_IP, IP_RECVERR},
    Option{IPPROTO_IP, IP_PKTINFO},         Option{IPPROTO_IP, IP_RECVTTL},
    Option{IPPROTO_IP, IP_RECVTOS},         Option{IPPROTO_IP, IP_RECVOPTS},
    Option{IPPROTO_IP, IP_RETOPTS},         Option{IPPROTO_IP, IP_RECVORIGDSTADDR},
    Option{IPPROTO_IP, IP_RECVFRAGSIZE},    Option{IPPROTO_IP, IP_RECVERR_RFC4884},
    Option{IPPROTO_IP, IP_PASSSEC},         Option{IPPROTO_IP, IP_MINTTL},
    Option{IPPROTO_IP, IP_CHECKSUM},        Option{IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT},
    Option{IPPROTO_IP, kIpLocalPortRange},
};
constexpr std::array kIpv6 = {
    Option{IPPROTO_IPV6, IPV6_TCLASS},
    Option{IPPROTO_IPV6, IPV6_UNICAST_HOPS},     Option{IPPROTO_IPV6, IPV6_MTU_DISCOVER},
    Option{IPPROTO_IPV6, IPV6_RECVERR},          Option{IPPROTO_IPV6, IPV6_FREEBIND},
    Option{IPPROTO_IPV6, IPV6_RECVPKTINFO},
    Option{IPPROTO_IPV6, IPV6_2292PKTINFO},      Option{IPPROTO_IPV6, IPV6_RECVHOPLIMIT},
    Option{IPPROTO_IPV6, IPV6_2292HOPLIMIT},     Option{IPPROTO_IPV6, IPV6_RECVRTHDR},
    Option{IPPROTO_IPV6, IPV6_2292RTHDR},        Option{IPPROTO_IPV6, IPV6_RECVHOPOPTS},
    Option{IPPROTO_IPV6, IPV6_2292HOPOPTS},      Option{IPPROTO_IPV6, IPV6_RECVDSTOPTS},
    Option{IPPROTO_IPV6, IPV6_2292DSTOPTS},      Option{IPPROTO_IPV6, IPV6_RECVTCLASS},
    Option{IPPROTO_IPV6, IPV6_RECVPATHMTU},      Option{IPPROTO_IPV6, IPV6_RECVORIGDSTADDR},
    Option{IPPROTO_IPV6, IPV6_RECVFRAGSIZE},     Option{IPPROTO_IPV6, IPV6_RECVERR_RFC4884},
    Option{IPPROTO_IPV6, IPV6_AUTOFLOWLABEL},    Option{IPPROTO_IPV6, IPV6_DONTFRAG},
    Option{IPPROTO_IPV6, IPV6_ADDR_PREFERENCES}, Option{IPPROTO_IPV6, IPV6_MINHOPCOUNT},
    Option{IPPROTO_IPV6, IPV6_TRANSPARENT},      Option{IPPROTO_IPV6, kIpv6FlowInfo},
    Option{IPPROTO_IPV6, kIpv6FlowInfoSend},    Option{IPPROTO_IPV6, IPV6_ROUTER_ALERT_ISOLATE},
};
// Multicast sending options: a stream socket refuses them (an accepted TCP connection reads the
// TTL of its SYN as IP_MULTICAST_TTL), so they are read on the others only.
constexpr std::array kMulticastIpv4 = {
    Option{IPPROTO_IP, IP_MULTICAST_TTL}, Option{IPPROTO_IP, IP_MULTICAST_LOOP},
    Option{IPPROTO_IP, IP_MULTICAST_ALL}, Option{IPPROTO_IP, IP_MULTICAST_IF},
};
constexpr std::array kMulticastIpv6 = {
    Option{IPPROTO_IPV6, IPV6_MULTICAST_HOPS},
    Option{IPPROTO_IPV6, IPV6_MULTICAST_LOOP},
    Option{IPPROTO_IPV6, IPV6_MULTICAST_ALL},
};
// Options whose value is an ifindex, kept by the interface's name.
constexpr std::array kInterfaceIpv4 = {Option{IPPROTO_IP, IP_UNICAST_IF}};
constexpr std::array kInterfaceIpv6 = {Option{IPPROTO_IPV6, IPV6_UNICAST_IF}};
constexpr std::array kMulticastInterfaceIpv6 = {Option{IPPROTO_IPV6, IPV6_MULTICAST_IF}};
constexpr std::array kTcp = {
    Option{IPPROTO_TCP, TCP_NODELAY},          Option{IPPROTO_TCP, TCP_CORK},
    Option{IPPROTO_TCP, TCP_KEEPIDLE},         Option{IPPROTO_TCP, TCP_KEEPINTVL},
    Option{IPPROTO_TCP, TCP_KEEPCNT},          Option{IPPROTO_TCP, TCP_USER_TIMEOUT},
    Option{IPPROTO_TCP, TCP_SYNCNT},           Option{IPPROTO_TCP, TCP_LINGER2},
    Option{IPPROTO_TCP, TCP_DEFER_ACCEPT},     Option{IPPROTO_TCP, TCP_NOTSENT_LOWAT},
    Option{IPPROTO_TCP, TCP_THIN_LINEAR_TIMEOUTS}, Option{IPPROTO_TCP, TCP_SAVE_SYN},
    Option{IPPROTO_TCP, TCP_INQ},              Option{IPPROTO_TCP, TCP_TX_DELAY},
    Option{IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE},
};
// Settings of a listening or closed TCP socket only: a connection's MSS and window clamp are
// negotiated state (its MSS is kept by TCP_REPAIR), and the fast open ones cannot be set on it.
// IPV6_V6ONLY cannot change once a socket is bound, and binding to an IPv6 address sets it: a
// connection keeps its own (records::TcpConnection::v6_only).
constexpr std::array kIpv6Unconnected = {Option{IPPROTO_IPV6, IPV6_V6ONLY}};
constexpr std::array kTcpUnconnected = {
    Option{IPPROTO_TCP, TCP_MAXSEG},   Option{IPPROTO_TCP, TCP_WINDOW_CLAMP},
    Option{IPPROTO_TCP, TCP_FASTOPEN}, Option{IPPROTO_TCP, TCP_FASTOPEN_CONNECT},
};
// Options whose value is bytes: IPv4 header options, the SO_TXTIME clock and flags, IPv6
// extension headers set with the RFC 3542 sticky options.
constexpr std::array kBytesIpv4 = {Option{IPPROTO_IP, IP_OPTIONS}};
constexpr std::array kBytesSocket = {Option{SOL_SOCKET, SO_TXTIME}};
constexpr std::array kBytesIpv6 = {
    Option{IPPROTO_IPV6, IPV6_HOPOPTS}, Option{IPPROTO_IPV6, IPV6_RTHDRDSTOPTS},
    Option{IPPROTO_IPV6, IPV6_RTHDR},   Option{IPPROTO_IPV6, IPV6_DSTOPTS},
};
constexpr std::array kUdp = {
    Option{IPPROTO_UDP, UDP_CORK},         Option{IPPROTO_UDP, UDP_ENCAP},
    Option{IPPROTO_UDP, UDP_NO_CHECK6_TX}, Option{IPPROTO_UDP, UDP_NO_CHECK6_RX},
    Option{IPPROTO_UDP, UDP_SEGMENT},      Option{IPPROTO_UDP, UDP_GRO},
    Option{SOL_SOCKET, SO_PEEK_OFF},
};

std::string describe(pid_t pid, int fd) {
  return fmt::format("pid {} fd {}", pid, fd);
}

template <class Options>
void read_ints(int sock, const Options& options, records::SocketOptions& out) {
  for (auto [level, name] : options) {
    int value = 0;
    socklen_t len = sizeof value;
    if (::getsockopt(sock, level, name, &value, &len) == 0 && len == sizeof value)
      out.ints.push_back({level, name, value, {}});
  }
}

// IP_UNICAST_IF gives its ifindex in network byte order, the IPv6 ones as it is.
int ifindex_of(const records::IntSocketOption& o) {
  return o.level == IPPROTO_IP ? static_cast<int>(ntohl(static_cast<uint32_t>(o.value)))
                               : o.value;
}

template <class Options>
void read_interface_ints(int sock, const Options& options, records::SocketOptions& out,
                         const std::string& who) {
  size_t first = out.ints.size();
  read_ints(sock, options, out);
  for (size_t i = first; i < out.ints.size(); ++i) {
    auto& o = out.ints[i];
    if (int ifindex = ifindex_of(o); ifindex != 0) o.interface = interface_name(sock, ifindex, who);
  }
}

template <class Options>
void read_bytes(int sock, const Options& options, records::SocketOptions& out) {
  for (auto [level, name] : options) {
    char value[4096];  // IPv6 extension headers take 2048 bytes at most
    socklen_t len = sizeof value;
    if (::getsockopt(sock, level, name, value, &len) == 0 && len > 0)
      out.bytes.push_back({level, name, std::string(value, len)});
  }
}

// An upper layer protocol (TCP_ULP: kernel TLS, ...) keeps state no option shows.
void refuse_upper_layer(int sock, const std::string& who) {
  char name[32] = {};
  socklen_t len = sizeof name;
  if (::getsockopt(sock, IPPROTO_TCP, TCP_ULP, name, &len) != 0 || len == 0 || name[0] == '\0')
    return;
  fail(ErrorKind::kRefused, "{}: TCP socket with the upper layer protocol '{}' (TCP_ULP); not supported",
       who, std::string(name, strnlen(name, len)));
}

int64_t read_timeout(int sock, int name) {
  timeval tv{};
  socklen_t len = sizeof tv;
  if (::getsockopt(sock, SOL_SOCKET, name, &tv, &len) != 0) return 0;
  return int64_t{tv.tv_sec} * 1000000 + tv.tv_usec;
}

std::string read_bound_device(int sock) {
  char name[IFNAMSIZ] = {};
  socklen_t len = sizeof name;
  if (::getsockopt(sock, SOL_SOCKET, SO_BINDTODEVICE, name, &len) != 0) return {};
  return std::string(name, strnlen(name, len));
}

// The classic BPF filter (SO_GET_FILTER: with no room it gives the count, in instructions).
std::vector<records::SocketFilterInstruction> read_filter(int sock, const std::string& who) {
  socklen_t count = 0;
  if (::getsockopt(sock, SOL_SOCKET, SO_GET_FILTER, nullptr, &count) != 0) {
    if (errno == EACCES)
      fail(ErrorKind::kRefused,
           "{}: socket with an eBPF filter (SO_ATTACH_BPF), which cannot be read back; not "
           "supported",
           who);
    throw_errno("{}: getsockopt(SO_GET_FILTER)", who);
  }
  std::vector<sock_filter> code(count);
  if (count != 0 && ::getsockopt(sock, SOL_SOCKET, SO_GET_FILTER, code.data(), &count) != 0)
    throw_errno("{}: getsockopt(SO_GET_FILTER, {} instructions)", who, code.size());
  std::vector<records::SocketFilterInstruction> filter;
  for (size_t i = 0; i < count && i < code.size(); ++i)
    filter.push_back({code[i].code, code[i].jt, code[i].jf, code[i].k});
  return filter;
}

bool is_connection(int sock) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(sock, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return false;
  return info.tcpi_state != TCP_CLOSE && info.tcpi_state != TCP_LISTEN;
}

void read_linger(int sock, records::SocketOptions& options) {
  linger l{};
  socklen_t len = sizeof l;
  if (::getsockopt(sock, SOL_SOCKET, SO_LINGER, &l, &len) == 0) {
    options.linger = l.l_onoff != 0;
    options.linger_seconds = l.l_linger;
  }
}

std::string read_congestion(int sock) {
  char name[32] = {};
  socklen_t len = sizeof name;
  if (::getsockopt(sock, IPPROTO_TCP, TCP_CONGESTION, name, &len) != 0) return {};
  return std::string(name, strnlen(name, len));
}

// The IPv4 and IPv6 int options of an inet socket.
void read_ip_ints(int sock, int family, bool connection, records::SocketOptions& options,
                  const std::string& who) {
  bool multicast = socket_int_option(sock, SOL_SOCKET, SO_TYPE) != SOCK_STREAM;
  read_ints(sock, kIpv4, options);
  if (multicast) read_ints(sock, kMulticastIpv4, options);
  read_interface_ints(sock, kInterfaceIpv4, options, who);
  if (family != AF_INET6) return;
  if (!connection) read_ints(sock, kIpv6Unconnected, options);
  read_ints(sock, kIpv6, options);
  if (multicast) read_ints(sock, kMulticastIpv6, options);
  read_interface_ints(sock, kInterfaceIpv6, options, who);
  if (multicast) read_interface_ints(sock, kMulticastInterfaceIpv6, options, who);
}

}  // namespace

records::SocketOptions read_socket_options(int sock, pid_t pid, int fd) {
  records::SocketOptions options;
  std::string who = describe(pid, fd);
  int family = socket_int_option(sock, SOL_SOCKET, SO_DOMAIN);
  int protocol = socket_int_option(sock, SOL_SOCKET, SO_PROTOCOL);
  bool inet = family == AF_INET || family == AF_INET6;
  bool tcp = inet && protocol == IPPROTO_TCP;
  bool udp = inet && protocol == IPPROTO_UDP;
  bool connection = tcp && is_connection(sock);
  read_ints(sock, kSocketLevel, options);
  if (inet) read_ip_ints(sock, family, connection, options, who);
  if (tcp) refuse_upper_layer(sock, who);
  if (tcp) read_ints(sock, kTcp, options);
  if (tcp && !connection) read_ints(sock, kTcpUnconnected, options);
  if (udp) read_ints(sock, kUdp, options);
  // Last: setting IP_TOS or IPV6_TCLASS sets the priority too.
  read_ints(sock, std::array{Option{SOL_SOCKET, SO_PRIORITY}}, options);
  read_bytes(sock, kBytesSocket, options);
  if (inet) read_bytes(sock, kBytesIpv4, options);
  if (family == AF_INET6) read_bytes(sock, kBytesIpv6, options);
  read_linger(sock, options);
  if (tcp) options.congestion = read_congestion(sock);
  options.receive_timeout_us = read_timeout(sock, SO_RCVTIMEO_OLD);
  options.send_timeout_us = read_timeout(sock, SO_SNDTIMEO_OLD);
  options.bound_device = read_bound_device(sock);
  options.filter = read_filter(sock, who);
  return options;
}

}  // namespace ckpt::dump
