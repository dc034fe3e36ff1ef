#include "restore/tcp_peer_fin.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

namespace {

constexpr uint8_t kFinAck = 0x11;
constexpr size_t kTcpHeader = 20;

// An endpoint as the segment carries it: a 4- or 16-byte address (an IPv4-mapped IPv6 one as
// IPv4, the way it travels) and a port in network order.
struct Endpoint {
  std::vector<uint8_t> address;
  uint16_t port = 0;
};

Endpoint endpoint_of(const std::string& raw) {
  sockaddr_storage ss{};
  std::memcpy(&ss, raw.data(), std::min(raw.size(), sizeof ss));
  Endpoint e;
  if (ss.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(ss);
    const auto* a = reinterpret_cast<const uint8_t*>(&in.sin_addr);
    e.address.assign(a, a + 4);
    e.port = in.sin_port;
  } else if (ss.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
    const auto* a = in6.sin6_addr.s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr))
      e.address.assign(a + 12, a + 16);
    else
      e.address.assign(a, a + 16);
    e.port = in6.sin6_port;
  } else {
    fail("TCP connection with an address of family {}", ss.ss_family);
  }
  return e;
}

void put16(std::vector<uint8_t>& out, size_t at, uint16_t host_value) {
  out[at] = static_cast<uint8_t>(host_value >> 8);
  out[at + 1] = static_cast<uint8_t>(host_value);
}

void put32(std::vector<uint8_t>& out, size_t at, uint32_t host_value) {
  put16(out, at, static_cast<uint16_t>(host_value >> 16));
  put16(out, at + 2, static_cast<uint16_t>(host_value));
}

// The Internet checksum (RFC 1071) of the bytes, added to `sum`.
uint32_t add_to_sum(uint32_t sum, const uint8_t* bytes, size_t size) {
  for (size_t i = 0; i + 1 < size; i += 2)
    sum += static_cast<uint32_t>(bytes[i] << 8 | bytes[i + 1]);
  if (size % 2) sum += static_cast<uint32_t>(bytes[size - 1] << 8);
  return sum;
}

uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// The peer's FIN|ACK segment (no options: a segment without timestamps passes no PAWS test).
std::vector<uint8_t> fin_segment(const records::TcpConnection& c, const Endpoint& from,
                                 const Endpoint& to) {
  std::vector<uint8_t> tcp(kTcpHeader, 0);
  std::memcpy(&tcp[0], &from.port, 2);
  std::memcpy(&tcp[2], &to.port, 2);
  put32(tcp, 4, records::received_end(c));         // the FIN's sequence number
  put32(tcp, 8, records::first_unacknowledged(c));  // acknowledges nothing new
  tcp[12] = (kTcpHeader / 4) << 4;
  tcp[13] = kFinAck;
  put16(tcp, 14, static_cast<uint16_t>(std::min<uint32_t>(c.snd_wnd >> c.snd_wscale, 0xffff)));
  // Pseudo-header: source, destination, protocol and TCP length.
  uint32_t sum = add_to_sum(0, from.address.data(), from.address.size());
  sum = add_to_sum(sum, to.address.data(), to.address.size());
  sum += IPPROTO_TCP + static_cast<uint32_t>(tcp.size());
  put16(tcp, 16, fold(add_to_sum(sum, tcp.data(), tcp.size())));
  return tcp;
}

std::vector<uint8_t> ipv4_packet(const std::vector<uint8_t>& tcp, const Endpoint& from,
                                 const Endpoint& to) {
  std::vector<uint8_t> ip(20, 0);
  ip[0] = 0x45;
  put16(ip, 2, static_cast<uint16_t>(ip.size() + tcp.size()));
  put16(ip, 6, 0x4000);  // don't fragment
  ip[8] = 64;
  ip[9] = IPPROTO_TCP;
  std::memcpy(&ip[12], from.address.data(), 4);
  std::memcpy(&ip[16], to.address.data(), 4);
  put16(ip, 10, fold(add_to_sum(0, ip.data(), ip.size())));
  ip.insert(ip.end(), tcp.begin(), tcp.end());
  return ip;
}

std::vector<uint8_t> ipv6_packet(const std::vector<uint8_t>& tcp, const Endpoint& from,
                                 const Endpoint& to) {
  std::vector<uint8_t> ip(40, 0);
  ip[0] = 0x60;
  put16(ip, 4, static_cast<uint16_t>(tcp.size()));
  ip[6] = IPPROTO_TCP;
  ip[7] = 64;
  std::memcpy(&ip[8], from.address.data(), 16);
  std::memcpy(&ip[24], to.address.data(), 16);
  ip.insert(ip.end(), tcp.begin(), tcp.end());
  return ip;
}

// Sends the whole packet (IP header included) towards the container's own address `to`.
void send_raw(const std::vector<uint8_t>& packet, const Endpoint& to) {
  bool v4 = to.address.size() == 4;
  UniqueFd raw(::socket(v4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW));
  if (!raw) throw_errno("raw socket");
  sockaddr_storage dest{};
  socklen_t size = 0;
  if (v4) {
    auto& in = reinterpret_cast<sockaddr_in&>(dest);
    in.sin_family = AF_INET;
    std::memcpy(&in.sin_addr, to.address.data(), 4);
    size = sizeof in;
  } else {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(dest);
    in6.sin6_family = AF_INET6;
    std::memcpy(&in6.sin6_addr, to.address.data(), 16);
    size = sizeof in6;
  }
  if (::sendto(raw.get(), packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&dest),
               size) != static_cast<ssize_t>(packet.size()))
    throw_errno("send the FIN segment");
}

int tcp_state(int sock) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(sock, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) throw_errno("TCP_INFO");
  return info.tcpi_state;
}

}  // namespace

void deliver_peer_fin(int sock, const records::TcpConnection& c) {
  Endpoint local = endpoint_of(c.local), peer = endpoint_of(c.peer);
  if (local.address.size() != peer.address.size())
    fail("its two ends have addresses of different families");
  std::vector<uint8_t> tcp = fin_segment(c, peer, local);
  send_raw(local.address.size() == 4 ? ipv4_packet(tcp, peer, local)
                                     : ipv6_packet(tcp, peer, local),
           local);
  // The segment is taken in this namespace's receive path, a moment after the send.
  for (int waited_ms = 0; waited_ms < 2000; ++waited_ms) {
    if (tcp_state(sock) == TCP_CLOSE_WAIT) return;
    ::usleep(1000);
  }
  fail("the socket did not take its peer's FIN again (state {})", tcp_state(sock));
}

}  // namespace ckpt::restore
