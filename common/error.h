// The one error model of ckpt: an exception carrying errno and a line of context.
// It is thrown where a call fails, unwinds through RAII guards (which undo what was done),
// and is printed once, as a single line, by the command line.
#pragma once

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ckpt {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, int err = 0) : std::runtime_error(what), err_(err) {}
  // errno of the failed call, 0 when the failure was not a system call.
  int err() const { return err_; }

 private:
  int err_;
};

// Throws Error("<context>: <strerror(errno)>") with the current errno.
template <typename... Args>
[[noreturn]] void throw_errno(fmt::format_string<Args...> context, Args&&... args) {
  int err = errno;
  throw Error(fmt::format(context, std::forward<Args>(args)...) + ": " + std::strerror(err), err);
}

// Throws Error with a formatted message and no errno.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> message, Args&&... args) {
  throw Error(fmt::format(message, std::forward<Args>(args)...));
}

}  // namespace ckpt
