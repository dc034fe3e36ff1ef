#include "ckpt/seize.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>

#include "common/error.h"
#include "common/log.h"
#include "common/proc/tasks.h"
#include "common/ptrace/tracee.h"

namespace ckpt::dump {
namespace {

std::set<pid_t> task_set(pid_t pid) {
  auto tids = proc::list_threads(pid);
  return {tids.begin(), tids.end()};
}

// A thread that does not reach its interrupt stop in this time fails the dump (the container
// is released again) instead of hanging it.
constexpr std::chrono::seconds kStopTimeout{10};

// Waits for the interrupt (or group) stop of `tid`; a signal that arrives first is put back.
void wait_interrupt_stop(pid_t pid, pid_t tid) {
  for (;;) {
    int status = ptrace::wait_stop(tid, kStopTimeout);
    if (ptrace::event_of(status) == PTRACE_EVENT_STOP) return;
    int sig = WSTOPSIG(status);
    spdlog::debug("thread {}: signal {} arrived before the stop; kept pending", tid, sig);
    siginfo_t info{};
    ::ptrace(PTRACE_GETSIGINFO, tid, nullptr, &info);
    ptrace::resume(tid, false, 0);
    // Requeued to the thread itself once we are done; the interrupt stop is still pending.
    if (::syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, &info) != 0)
      ::syscall(SYS_tgkill, pid, tid, sig);
  }
}

}  // namespace

SeizedProcesses::SeizedProcesses(const std::vector<pid_t>& pids) {
  try {
    for (pid_t pid : pids) seize_process(pid);
  } catch (...) {
    for (auto& [pid, tids] : threads_)
      for (pid_t tid : tids) {
        try {
          ptrace::detach(tid);
        } catch (const Error& e) {  // not stopped yet: let go when we exit
          spdlog::debug("{}", e.what());
        }
      }
    throw;
  }
}

void SeizedProcesses::seize_process(pid_t pid) {
  auto& seized = threads_[pid];
  std::set<pid_t> done;
  for (;;) {
    std::set<pid_t> now = task_set(pid);
    bool added = false;
    for (pid_t tid : now) {
      if (done.count(tid)) continue;
      done.insert(tid);
      // Without EXITKILL until stopped: a thread we fail to stop (and so cannot detach) is let go
      // when we exit instead of killed, so a failed dump leaves the container running.
      if (!ptrace::seize(tid, ptrace::default_options() & ~PTRACE_O_EXITKILL))
        continue;  // exited meanwhile
      seized.push_back(tid);
      added = true;
      if (!ptrace::interrupt(tid)) fail("thread {} of {} vanished while being seized", tid, pid);
    }
    if (!added) break;
  }
  auto main = std::find(seized.begin(), seized.end(), pid);
  if (main == seized.end()) fail("process {} vanished while being seized", pid);
  std::iter_swap(seized.begin(), main);
  spdlog::debug("seized {} with {} threads", pid, seized.size());
}

void SeizedProcesses::wait_stopped() {
  if (stopped_) return;
  for (auto& [pid, tids] : threads_)
    for (pid_t tid : tids) {
      wait_interrupt_stop(pid, tid);
      ptrace::set_options(tid, ptrace::default_options());
    }
  stopped_ = true;
}

SeizedProcesses::~SeizedProcesses() {
  for (auto& [pid, tids] : threads_)
    for (pid_t tid : tids) {
      try {
        ptrace::detach(tid);
      } catch (const Error& e) {
        spdlog::warn("{}", e.what());
      }
    }
}

const std::vector<pid_t>& SeizedProcesses::threads(pid_t pid) const {
  auto it = threads_.find(pid);
  if (it == threads_.end()) fail("process {} is not seized", pid);
  return it->second;
}

std::vector<pid_t> SeizedProcesses::pids() const {
  std::vector<pid_t> out;
  for (auto& [pid, tids] : threads_) out.push_back(pid);
  return out;
}

}  // namespace ckpt::dump
