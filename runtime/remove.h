// Stopping and removing containers: `ckpt rm` and `ckpt kill`, and the cleanup after a dump.
#pragma once

#include <csignal>
#include <string>

namespace ckpt::runtime {

// Kills every process of the container (freeze, SIGKILL all, thaw, wait until empty), removes
// its cgroup subtree and its state directory. Without `force`, a running container is refused.
void remove_container(const std::string& id, bool force);

// Sends `signal` to the container's init process.
void kill_container(const std::string& id, int signal);

}  // namespace ckpt::runtime
