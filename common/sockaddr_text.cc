#include "common/sockaddr_text.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace ckpt {

std::string describe_sockaddr(const std::string& raw) {
  char host[INET6_ADDRSTRLEN] = "?";
  sockaddr_storage ss{};
  std::memcpy(&ss, raw.data(), std::min(raw.size(), sizeof ss));
  if (raw.size() >= sizeof(sockaddr_in) && ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (raw.size() >= sizeof(sockaddr_in6) && ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "?";
}

std::string describe_connection(const std::string& local, const std::string& peer) {
  return describe_sockaddr(local) + " -> " + describe_sockaddr(peer);
}

}  // namespace ckpt
