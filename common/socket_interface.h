// Interface names and indexes as the network namespace of a socket sees them (SIOCGIFNAME and
// SIOCGIFINDEX on the socket itself, so the caller may live in another namespace).
#pragma once

#include <string>

namespace ckpt {

// The name of interface `ifindex` in the namespace of socket `sock`; throws Error naming `who`.
std::string interface_name(int sock, int ifindex, const std::string& who);

// The index of interface `name` in the namespace of socket `sock`; throws Error naming `who`.
int interface_index(int sock, const std::string& name, const std::string& who);

}  // namespace ckpt
