// What `ckpt list` shows of each container.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::runtime {

struct InterfaceAddress {
  std::string interface;  // "eth0"
  std::string family;     // "inet" or "inet6"
  std::string address;    // "10.77.0.2"
  int prefix = 0;         // 24
};

struct ContainerInfo {
  std::string id;
  pid_t init_pid = 0;
  std::string state;  // running, frozen, freezing, stopped
  size_t processes = 0;
  uint64_t memory_bytes = 0;
  std::string restored_from;
  std::vector<InterfaceAddress> addresses;  // lo left out
};

std::vector<ContainerInfo> list_containers();

// Memory the container's cgroup uses now (0 when unknown), e.g. for a dump's progress line.
uint64_t container_memory_bytes(const std::string& id);

}  // namespace ckpt::runtime
