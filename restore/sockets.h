// Sockets recreated on restore (the dump side is ckpt/sockets.h).
#pragma once

#include "common/records/files.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

// A TCP socket bound to the recorded address with its options, listening with its backlog.
// Runs inside the container's network namespace.
UniqueFd open_listening_socket(const records::FileDescription& d);

}  // namespace ckpt::restore
