// Cancelling a dump or restore safely. Killing ckpt in the middle would kill the container
// (its tasks are traced with PTRACE_O_EXITKILL) or leave it frozen, half-made files and
// cgroups behind. While a CancelOnSignals lives, SIGINT, SIGTERM and SIGHUP only mark the run
// as cancelled and SIGPIPE is ignored (a write to a closed pipe fails with EPIPE instead); the
// pipeline then throws at its next cancellation point, and the guards on the way out undo
// what was done, as for any other error.
//
// The same points serve tests of the failure paths (as CRIU's CRIU_FAULT): with CKPT_FAULT=NAME,
// cancellation_point("NAME") throws the Error a real failure there would; with
// CKPT_FAULT=NAME:wait it says so on stderr and waits (up to a minute) for a signal to cancel.
#pragma once

#include <signal.h>

#include <string_view>

namespace ckpt {

class CancelOnSignals {
 public:
  CancelOnSignals();
  ~CancelOnSignals();
  CancelOnSignals(const CancelOnSignals&) = delete;
  CancelOnSignals& operator=(const CancelOnSignals&) = delete;

 private:
  static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
  struct sigaction old_[sizeof kSignals / sizeof kSignals[0]]{};
};

// A step where the pipeline may stop: throws Error when the run was cancelled (or CKPT_FAULT
// names this point).
void cancellation_point(std::string_view name);

// A step that goes on when the run is cancelled (a container's memory filled after its
// resume): throws Error only when CKPT_FAULT names this point.
void fault_point(std::string_view name);

// For long loops (page batches): throws Error when the run was cancelled.
void throw_if_cancelled();

}  // namespace ckpt
