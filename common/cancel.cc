#include "common/cancel.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/error.h"
#include "common/error_kind.h"

namespace ckpt {
namespace {

std::atomic<int> cancelled_by{0};
static_assert(std::atomic<int>::is_always_lock_free, "set from a signal handler");

void on_signal(int sig) {
  cancelled_by.store(sig, std::memory_order_relaxed);
}

// CKPT_FAULT's point and whether to wait there ("NAME" or "NAME:wait").
struct Fault {
  std::string point;
  bool wait = false;
};

const Fault& fault() {
  static const Fault parsed = [] {
    Fault f;
    const char* env = std::getenv("CKPT_FAULT");
    if (!env) return f;
    f.point = env;
    if (f.point.ends_with(":wait")) {
      f.point.resize(f.point.size() - 5);
      f.wait = true;
    }
    return f;
  }();
  return parsed;
}

void wait_for_cancel(std::string_view name) {
  std::fprintf(stderr, "ckpt: waiting at %.*s (CKPT_FAULT)\n", static_cast<int>(name.size()),
               name.data());
  std::fflush(stderr);
  for (int i = 0; i < 6000 && !cancelled_by.load(std::memory_order_relaxed); ++i) ::usleep(10000);
}

}  // namespace

CancelOnSignals::CancelOnSignals() {
  cancelled_by.store(0, std::memory_order_relaxed);
  for (size_t i = 0; i < std::size(kSignals); ++i) {
    struct sigaction action {};
    action.sa_handler = kSignals[i] == SIGPIPE ? SIG_IGN : on_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (::sigaction(kSignals[i], &action, &old_[i]) != 0)
      throw_errno("sigaction({})", strsignal(kSignals[i]));
  }
}

CancelOnSignals::~CancelOnSignals() {
  for (size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
}

void throw_if_cancelled() {
  if (int sig = cancelled_by.load(std::memory_order_relaxed))
    fail(ErrorKind::kCancelled, "cancelled by SIG{}; what was done is undone", sigabbrev_np(sig));
}

void fault_point(std::string_view name) {
  const Fault& f = fault();
  if (f.point.empty() || name != f.point) return;
  if (!f.wait) fail("injected fault at {} (CKPT_FAULT)", name);
  wait_for_cancel(name);
}

void cancellation_point(std::string_view name) {
  fault_point(name);
  throw_if_cancelled();
}

}  // namespace ckpt
