// Socket addresses as people read them in messages and `inspect`.
#pragma once

#include <string>

namespace ckpt {

// "10.0.0.2:7000", "[::1]:80" for a sockaddr_in/sockaddr_in6 held in `raw`; "?" otherwise.
std::string describe_sockaddr(const std::string& raw);

}  // namespace ckpt
