#include "restore/sockets_options.h"

#include "common/error.h"

namespace ckpt::restore {

void set_sockopt(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0)
    throw_errno("setsockopt({}, {})", what, value);
}

const sockaddr* as_sockaddr(const std::string& raw) {
  return reinterpret_cast<const sockaddr*>(raw.data());
}

socklen_t sockaddr_size(const std::string& raw) {
  return static_cast<socklen_t>(raw.size());
}

}  // namespace ckpt::restore
