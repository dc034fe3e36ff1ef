// Work inside another network namespace without moving the calling thread: a helper thread
// setns()es into it, runs the function and ends. Sockets it opens stay bound to that netns.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <exception>
#include <optional>
#include <thread>
#include <type_traits>

#include "common/error.h"
#include "common/unique_fd.h"

namespace ckpt::netns {

// The netns of `pid` (/proc/pid/ns/net).
UniqueFd open_netns_of(pid_t pid);
// A new, empty netns (only lo, down), alive while the fd (or a socket in it) is.
UniqueFd create_netns();

template <class F>
auto in_netns(int netns_fd, F&& fn) -> std::invoke_result_t<F> {
  using R = std::invoke_result_t<F>;
  std::exception_ptr error;
  std::conditional_t<std::is_void_v<R>, int, std::optional<R>> result{};
  std::thread helper([&] {
    try {
      if (::setns(netns_fd, CLONE_NEWNET) != 0) throw_errno("setns(netns fd {})", netns_fd);
      if constexpr (std::is_void_v<R>)
        fn();
      else
        result.emplace(fn());
    } catch (...) {
      error = std::current_exception();
    }
  });
  helper.join();
  if (error) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<R>) return std::move(*result);
}

}  // namespace ckpt::netns
