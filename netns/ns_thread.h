// Work inside another network namespace without moving the calling thread: a helper thread
// setns()es into it, runs the function and ends. Sockets it opens stay bound to that netns.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <type_traits>
#include <utility>

#include "common/error.h"
#include "common/ns/in_thread.h"
#include "common/unique_fd.h"

namespace ckpt::netns {

// The netns of `pid` (/proc/pid/ns/net).
UniqueFd open_netns_of(pid_t pid);
// A new, empty netns (only lo, down), alive while the fd (or a socket in it) is.
UniqueFd create_netns();

// Runs `fn` in a helper thread inside the netns `netns_fd` (see common/ns/in_thread.h).
template <class F>
auto in_netns(int netns_fd, F&& fn) -> std::invoke_result_t<F> {
  return ns::in_helper_thread(
      [netns_fd] {
        if (::setns(netns_fd, CLONE_NEWNET) != 0) throw_errno("setns(netns fd {})", netns_fd);
      },
      std::forward<F>(fn));
}

}  // namespace ckpt::netns
