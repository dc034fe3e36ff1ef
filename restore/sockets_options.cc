#include "restore/sockets_options.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cstring>

#include "common/error.h"

namespace ckpt::restore {

void set_sockopt(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0)
    throw_errno("setsockopt({}, {})", what, value);
}

void apply_socket_options(int fd, const records::SocketOptions& options) {
  for (const auto& o : options.ints) {
    int now = 0;
    socklen_t len = sizeof now;
    if (::getsockopt(fd, o.level, o.name, &now, &len) == 0 && now == o.value) continue;
    // The kernel doubles the buffer sizes it is given and reports the doubled value.
    bool buffer = o.level == SOL_SOCKET && (o.name == SO_SNDBUF || o.name == SO_RCVBUF);
    int value = buffer ? o.value / 2 : o.value;
    if (::setsockopt(fd, o.level, o.name, &value, sizeof value) != 0)
      throw_errno("setsockopt(level {}, option {}, {})", o.level, o.name, value);
  }
  linger l{};
  socklen_t len = sizeof l;
  if (::getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) == 0 &&
      ((l.l_onoff != 0) != options.linger || l.l_linger != options.linger_seconds)) {
    linger want{options.linger ? 1 : 0, options.linger_seconds};
    if (::setsockopt(fd, SOL_SOCKET, SO_LINGER, &want, sizeof want) != 0)
      throw_errno("setsockopt(SO_LINGER, {} s)", options.linger_seconds);
  }
  if (options.congestion.empty()) return;
  char name[32] = {};
  len = sizeof name;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len) == 0 &&
      options.congestion == std::string(name, strnlen(name, len)))
    return;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, options.congestion.data(),
                   static_cast<socklen_t>(options.congestion.size())) != 0)
    throw_errno("setsockopt(TCP_CONGESTION, {})", options.congestion);
}

const sockaddr* as_sockaddr(const std::string& raw) {
  return reinterpret_cast<const sockaddr*>(raw.data());
}

socklen_t sockaddr_size(const std::string& raw) {
  return static_cast<socklen_t>(raw.size());
}

}  // namespace ckpt::restore
