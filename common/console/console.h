// The pty console of a container run with -t: the pty master is held outside the container by
// a console keeper process (ckpt/console_keeper.cc), which copies the output to console.log and
// serves users of `ckpt attach` on console.sock. Both files live in the container's state dir,
// next to console.pty (the index of the console in the container's devpts).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>

namespace ckpt::console {

std::filesystem::path socket_path(const std::filesystem::path& state_dir);

// The console's pty index, as start_keeper() recorded it; nullopt for a container without one.
std::optional<int> read_pty_index(const std::filesystem::path& state_dir);

// The fds a keeper is started with (fixed numbers, see start_keeper()).
enum KeeperFd : int { kMaster = 3, kInitPidfd = 4, kListener = 5, kLog = 6 };

// Starts the console keeper of a container: a daemon (not a child of the caller, in the caller's
// cgroups, outside the container) that holds `master`. The socket listens once this returns.
// The keeper exits (removing the socket) when the process `init_pid` exits.
void start_keeper(const std::filesystem::path& state_dir, int master, pid_t init_pid);

}  // namespace ckpt::console
