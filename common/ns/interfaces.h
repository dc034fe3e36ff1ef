// The interfaces of another process's network namespace as getifaddrs(3) shows them there
// (read from a helper thread, common/ns/in_thread.h): `ckpt list` and restore's clash check.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ckpt::ns {

struct InterfaceAddress {
  std::string family;   // "inet" or "inet6"
  std::string address;  // "10.77.0.2"
  int prefix = 0;
};

struct Interface {
  std::string name;
  std::string mac;  // "02:00:0a:4d:00:02", lower case; empty without one
  std::vector<InterfaceAddress> addresses;
};

// Every interface of the netns of `pid` but loopback ones.
std::vector<Interface> interfaces_of(pid_t pid);

}  // namespace ckpt::ns
