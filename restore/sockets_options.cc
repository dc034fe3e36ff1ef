#include "restore/sockets_options.h"

#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cstring>

#include "common/error.h"
#include "common/socket_interface.h"
#include "restore/sockets_multicast.h"

namespace ckpt::restore {

namespace {

// The value to set: buffer sizes halved (the kernel doubles what it is given and reports the
// doubled value), an interface's index looked up by its name (IP_UNICAST_IF in network order).
int value_to_set(int fd, const records::IntSocketOption& o) {
  if (o.level == SOL_SOCKET && (o.name == SO_SNDBUF || o.name == SO_RCVBUF)) return o.value / 2;
  if (o.interface.empty()) return o.value;
  int index = interface_index(fd, o.interface, "restore: socket option");
  return o.level == IPPROTO_IP ? static_cast<int>(htonl(static_cast<uint32_t>(index))) : index;
}

void apply_ints(int fd, const std::vector<records::IntSocketOption>& ints) {
  for (const auto& o : ints) {
    int value = value_to_set(fd, o);
    int now = 0;
    socklen_t len = sizeof now;
    bool buffer = o.level == SOL_SOCKET && (o.name == SO_SNDBUF || o.name == SO_RCVBUF);
    int wanted = buffer ? o.value : value;
    if (::getsockopt(fd, o.level, o.name, &now, &len) == 0 && now == wanted) continue;
    if (::setsockopt(fd, o.level, o.name, &value, sizeof value) != 0)
      throw_errno("setsockopt(level {}, option {}, {})", o.level, o.name, value);
  }
}

void apply_bytes(int fd, const std::vector<records::BytesSocketOption>& bytes) {
  for (const auto& o : bytes) {
    char now[4096];
    socklen_t len = sizeof now;
    if (::getsockopt(fd, o.level, o.name, now, &len) == 0 && o.value == std::string(now, len))
      continue;
    if (::setsockopt(fd, o.level, o.name, o.value.data(), static_cast<socklen_t>(o.value.size())) != 0)
      throw_errno("setsockopt(level {}, option {}, {} bytes)", o.level, o.name, o.value.size());
  }
}

void apply_timeout(int fd, int name, int64_t microseconds, const char* what) {
  if (microseconds == 0) return;
  timeval tv{static_cast<time_t>(microseconds / 1000000),
             static_cast<suseconds_t>(microseconds % 1000000)};
  if (::setsockopt(fd, SOL_SOCKET, name, &tv, sizeof tv) != 0)
    throw_errno("setsockopt({}, {} us)", what, microseconds);
}

void apply_filter(int fd, const std::vector<records::SocketFilterInstruction>& filter) {
  if (filter.empty()) return;
  std::vector<sock_filter> code;
  for (const auto& i : filter) code.push_back({i.code, i.jt, i.jf, i.k});
  sock_fprog program{static_cast<unsigned short>(code.size()), code.data()};
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) != 0)
    throw_errno("setsockopt(SO_ATTACH_FILTER, {} instructions)", code.size());
}

void apply_linger(int fd, const records::SocketOptions& options) {
  linger l{};
  socklen_t len = sizeof l;
  if (::getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) == 0 &&
      (l.l_onoff != 0) == options.linger && l.l_linger == options.linger_seconds)
    return;
  linger want{options.linger ? 1 : 0, options.linger_seconds};
  if (::setsockopt(fd, SOL_SOCKET, SO_LINGER, &want, sizeof want) != 0)
    throw_errno("setsockopt(SO_LINGER, {} s)", options.linger_seconds);
}

void apply_congestion(int fd, const std::string& congestion) {
  if (congestion.empty()) return;
  char name[32] = {};
  socklen_t len = sizeof name;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len) == 0 &&
      congestion == std::string(name, strnlen(name, len)))
    return;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, congestion.data(),
                   static_cast<socklen_t>(congestion.size())) != 0)
    throw_errno("setsockopt(TCP_CONGESTION, {})", congestion);
}

}  // namespace

void set_sockopt(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0)
    throw_errno("setsockopt({}, {})", what, value);
}

void apply_socket_options(int fd, const records::SocketOptions& options) {
  apply_filter(fd, options.filter);  // before the ints: SO_LOCK_FILTER is among them
  apply_ints(fd, options.ints);
  apply_bytes(fd, options.bytes);
  // After the ints: IP_UNICAST_IF and IPV6_UNICAST_IF refuse another interface than the bound one.
  if (!options.bound_device.empty() &&
      ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, options.bound_device.data(),
                   static_cast<socklen_t>(options.bound_device.size())) != 0)
    throw_errno("setsockopt(SO_BINDTODEVICE, {})", options.bound_device);
  apply_timeout(fd, SO_RCVTIMEO_OLD, options.receive_timeout_us, "SO_RCVTIMEO");
  apply_timeout(fd, SO_SNDTIMEO_OLD, options.send_timeout_us, "SO_SNDTIMEO");
  apply_linger(fd, options);
  apply_congestion(fd, options.congestion);
  join_memberships(fd, options.memberships);
}

const sockaddr* as_sockaddr(const std::string& raw) {
  return reinterpret_cast<const sockaddr*>(raw.data());
}

socklen_t sockaddr_size(const std::string& raw) {
  return static_cast<socklen_t>(raw.size());
}

}  // namespace ckpt::restore
