// clone3(2) used like fork(2): returns 0 in the child and the child's pid in the parent.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <span>

namespace ckpt::ns {

// `flags` are CLONE_* flags (namespaces, CLONE_PARENT, ...). `set_tid`, when given, asks for
// exact pids, innermost pid namespace first (see clone3(2)). Throws Error on failure.
pid_t clone_fork(uint64_t flags, std::span<const pid_t> set_tid = {}, int exit_signal = SIGCHLD);

}  // namespace ckpt::ns
