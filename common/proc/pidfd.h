// Taking a copy of another process's fd (pidfd_open + pidfd_getfd).
#pragma once

#include <sys/types.h>

#include "common/unique_fd.h"

namespace ckpt::proc {

// A duplicate of fd `fd` of process `pid`, sharing its open file description.
UniqueFd take_fd(pid_t pid, int fd);

}  // namespace ckpt::proc
