// Asking the kernel something whose answer is a pid as another pid namespace sees it (the
// SO_PEERCRED of a socket names its peer in the asker's namespace; a peer that has exited since
// has no number in any other). A thread of ckpt points its children at that namespace and
// starts one child there, which shares ckpt's memory and fds (CLONE_VM | CLONE_VFORK |
// CLONE_FILES: no page tables copied while a container stands frozen) and ends when `fn` does.
#pragma once

#include <sys/types.h>

#include <functional>

namespace ckpt::ns {

// Runs `fn` in a child in the pid namespace of process `pid`. `fn` runs on a small stack of its
// own, must not throw (an escaping exception fails the call) and should only make system calls
// and write to memory the caller prepared.
void in_pid_namespace_of(pid_t pid, const std::function<void()>& fn);

}  // namespace ckpt::ns
