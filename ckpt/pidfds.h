// Dump of pidfds (pidfd_open(), clone(CLONE_PIDFD)): a pidfd on a process of the container is
// recorded with that process's pid in the container, and restore/pidfds.h opens one again on the
// restored process with the same flags (one description, shared by its holders as before).
// A pidfd on a thread (PIDFD_THREAD) is recorded with the thread's id in the container when its
// own process holds it. Refused, naming pid and fd: a pidfd on a process outside the container,
// on a thread of another process, or on a process that was reaped (nothing to open again).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>

#include "ckpt/fd_kinds.h"

namespace ckpt::dump {

bool is_pidfd(const FdFacts& facts);

// The pid in the container of the process (or tid of the thread) the pidfd refers to; `ns_pids` maps the host pid of
// every dumped process to its pid in the container.
int32_t pidfd_target(const FdFacts& facts, const std::map<pid_t, pid_t>& ns_pids);

}  // namespace ckpt::dump
