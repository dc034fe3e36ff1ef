// Socket addresses as people read them in messages and `inspect`.
#pragma once

#include <string>

namespace ckpt {

// "10.0.0.2:7000", "[::1]:80" for a sockaddr_in/sockaddr_in6 held in `raw`; "?" otherwise.
std::string describe_sockaddr(const std::string& raw);

// "10.0.0.2:7000 -> 10.0.0.3:80": a connection from its local and peer sockaddrs (or from a
// record that holds them as `local` and `peer`).
std::string describe_connection(const std::string& local, const std::string& peer);
template <class Connection>
std::string describe_connection(const Connection& c) {
  return describe_connection(c.local, c.peer);
}

}  // namespace ckpt
