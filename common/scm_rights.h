// Passing an open fd to another process over a unix socket (SCM_RIGHTS).
#pragma once

#include "common/unique_fd.h"

namespace ckpt {

// Sends `fd` (with one byte of data) over the connected unix socket `socket`.
void send_fd(int socket, int fd);

// Receives an fd sent by send_fd(), close-on-exec. Throws Error when the peer closed the socket
// without sending one, or (with `dont_wait`) when none is queued yet.
UniqueFd receive_fd(int socket, bool dont_wait = false);

}  // namespace ckpt
