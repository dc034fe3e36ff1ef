// Work inside another process's uts, ipc or net namespace without forking: a fork copies the
// page tables of all ckpt holds (during a --leave-running dump, a pre-copy of the container's
// memory) while the container stands frozen. A helper thread enters the namespaces (these three
// kinds are per thread), runs the function and ends; the caller's thread keeps its own.
// Other kinds (mount, pid, time, user) cannot be entered by one thread of a process.
#pragma once

#include <sys/types.h>

#include <exception>
#include <functional>
#include <optional>
#include <thread>
#include <type_traits>

namespace ckpt::ns {

// Runs `enter` then `fn` in a new thread; returns what `fn` returns, or rethrows what either
// threw.
template <class F>
auto in_helper_thread(const std::function<void()>& enter, F&& fn) -> std::invoke_result_t<F> {
  using R = std::invoke_result_t<F>;
  std::exception_ptr error;
  std::conditional_t<std::is_void_v<R>, int, std::optional<R>> result{};
  std::thread helper([&] {
    try {
      enter();
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

// setns() of the calling thread into the `nstypes` (CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET
// only) of process `pid`.
void enter_thread_namespaces_of(pid_t pid, int nstypes);

template <class F>
auto in_namespaces_of(pid_t pid, int nstypes, F&& fn) -> std::invoke_result_t<F> {
  return in_helper_thread([pid, nstypes] { enter_thread_namespaces_of(pid, nstypes); },
                          std::forward<F>(fn));
}

}  // namespace ckpt::ns
