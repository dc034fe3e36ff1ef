// What `ckpt list` shows of each container.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::runtime {

struct ContainerInfo {
  std::string id;
  pid_t init_pid = 0;
  std::string state;  // running, frozen, freezing, stopped
  size_t processes = 0;
  uint64_t memory_bytes = 0;
  std::string restored_from;
  std::vector<std::string> addresses;  // "eth0 10.77.0.2/24", lo left out
};

std::vector<ContainerInfo> list_containers();

}  // namespace ckpt::runtime
