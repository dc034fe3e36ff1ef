// The console keeper: holds a container's pty master outside the container (like conmon),
// started by console::start_keeper() as `ckpt console-keeper SOCKET` with its fds at the
// numbers of console::KeeperFd.
#pragma once

#include <string>

namespace ckpt::runtime {

// Copies everything the container writes to its console to the log and to every client of
// the socket, and what any client writes to the console's input. Returns once the container's
// init exited (its output drained, the socket removed, the clients disconnected).
void run_console_keeper(const std::string& socket_path);

}  // namespace ckpt::runtime
