// `ckpt run`: our minimal container runtime. The command becomes pid 1 of new pid, ipc, uts,
// mount, net and time namespaces, inside cgroups ckpt/ID with the limits applied.
#pragma once

#include <string>
#include <vector>

#include "common/ns/container_mounts.h"
#include "common/records/container.h"

namespace ckpt::runtime {

struct RunOptions {
  records::ContainerConfig config;  // id, command, hostname, rootfs, limits, net specs
  bool detach = false;
  std::vector<ns::ExtraMount> mounts;  // --tmpfs mounts, then --bind mounts
  bool tty = false;  // a pty console held by a console keeper (ckpt/console.h)
};

// Starts the container. Detached: returns once the command was exec'd (0). Otherwise follows the
// console log (with a tty: is attached to the console) until the container's init exits, removes
// the container, and returns its exit code.
int run_container(const RunOptions& options);

}  // namespace ckpt::runtime
