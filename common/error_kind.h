// Categories of ckpt::Error, for the exit code of `ckpt` (README "Exit codes"): a script can
// tell "busy, try later" from "can never be dumped" from "image damaged". An Error thrown by
// plain fail()/throw_errno() is of category kFailure; fail(kind, ...) throws one of `kind`.
// (Kept beside error.h rather than in it: the category is read only by the command line.)
#pragma once

#include "common/error.h"

namespace ckpt {

// What a script needs to tell apart; the value is the exit code of `ckpt`.
enum class ErrorKind {
  kFailure = 1,      // anything else (a system call failed, ...)
  kUsage = 2,        // bad command line or option value
  kNotFound = 3,     // no such container or image file
  kBusy = 4,         // another ckpt verb works on the container: try again later
  kRefused = 5,      // refused by policy, or state ckpt cannot dump/restore (named)
  kImage = 6,        // the image is damaged, truncated, foreign or of a newer format
  kHostMissing = 7,  // restore needs what this host lacks: bridge, mount source, CPU feature
  kKernel = 8,       // the kernel lacks a feature ckpt needs
  kCancelled = 9,    // cancelled by a signal; what was done is undone
  kInternal = 10,    // a bug: an unexpected exception
};

inline int exit_code(ErrorKind kind) {
  return static_cast<int>(kind);
}

// An Error with a category other than kFailure.
class CategorizedError : public Error {
 public:
  CategorizedError(ErrorKind kind, const std::string& what, int err = 0)
      : Error(what, err), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// The category of `e`: its own, else ENOSYS means a kernel feature is missing, else kFailure.
inline ErrorKind kind_of(const Error& e) {
  if (const auto* c = dynamic_cast<const CategorizedError*>(&e)) return c->kind();
  return e.err() == ENOSYS ? ErrorKind::kKernel : ErrorKind::kFailure;
}

// Throws an Error of category `kind` with a formatted message.
template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, fmt::format_string<Args...> message, Args&&... args) {
  throw CategorizedError(kind, fmt::format(message, std::forward<Args>(args)...));
}

// Runs `body`; an Error of no category it throws (kFailure, no errno) is thrown again as one
// of `kind`: for callers of a layer whose own failures all mean one thing.
template <typename Body>
decltype(auto) classify_errors(ErrorKind kind, Body&& body) {
  try {
    return body();
  } catch (const CategorizedError&) {
    throw;
  } catch (const Error& e) {
    if (e.err() != 0) throw;
    throw CategorizedError(kind, e.what());
  }
}

}  // namespace ckpt
