// `ckpt run -t`: the container's console is a pty of its own devpts. The container's init
// makes the pty and sends the master out over a socket; the runtime hands it to a console keeper.
#pragma once

#include <sys/types.h>

#include "common/container_state.h"
#include "common/unique_fd.h"

namespace ckpt::runtime {

// A socketpair: `init_end` goes to the container's init, `runtime_end` stays with the runtime.
struct ConsoleSocket {
  UniqueFd runtime_end, init_end;
};
ConsoleSocket make_console_socket();

// In the container's init (its mounts set up, a session leader): mounts a private devpts,
// opens a pty whose slave becomes its controlling terminal and stdin/stdout/stderr, and sends
// the master over `socket`.
void make_pty_console(int socket);

// In the runtime, once the init exec'd: receives the master and starts the console keeper.
void start_pty_console(const ContainerState& state, int socket, pid_t init_pid);

}  // namespace ckpt::runtime
