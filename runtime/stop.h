// `ckpt stop` and `ckpt logs`: ending a container gently, and reading its console.
#pragma once

#include <chrono>
#include <string>

namespace ckpt::runtime {

// SIGTERM to the container's init; if it has not exited after `grace`, SIGKILL to every process
// of the container. A frozen container is killed at once (a frozen init cannot handle TERM).
// The container's cgroups and state stay until `ckpt rm`. Nothing to do when it is not running.
void stop_container(const std::string& id, std::chrono::milliseconds grace);

// Copies the container's console log to stdout; with `follow`, goes on copying what is added
// until the container's init exits.
void print_console_log(const std::string& id, bool follow);

}  // namespace ckpt::runtime
