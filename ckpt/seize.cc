#include "ckpt/seize.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "ckpt/seccomp.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proc/pid_status.h"
#include "common/proc/stat.h"
#include "common/proc/tasks.h"
#include "common/ptrace/tracee.h"

namespace ckpt::dump {
namespace {

// A thread that does not reach its interrupt stop in this time fails the dump (the container
// is released again) instead of hanging it.
constexpr std::chrono::seconds kStopTimeout{10};

// Waits for the interrupt (or group) stop of `tid`; a signal that arrives first is put back.
// Returns the stop's signal: SIGTRAP for an interrupt, the stopping signal for a group stop.
int wait_interrupt_stop(pid_t pid, pid_t tid, std::chrono::milliseconds timeout = kStopTimeout) {
  for (;;) {
    int status = ptrace::wait_stop(tid, timeout);
    if (ptrace::event_of(status) == PTRACE_EVENT_STOP) return WSTOPSIG(status);
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

// The tracer of `tid`, 0 when none (or when the thread is gone: its seize says so).
pid_t tracer_of(pid_t tid) {
  std::string path = "/proc/" + std::to_string(tid) + "/status";
  auto status = fs::try_read_file(path);
  return status ? proc::parse_pid_status(*status, path).tracer : 0;
}

// A thread another process traces (a debugger, strace in the container) cannot be ours too.
void refuse_traced(pid_t pid, pid_t tid) {
  if (pid_t tracer = tracer_of(tid))
    fail(ErrorKind::kRefused,
         "process {} (thread {}) is traced by process {} (a debugger or strace?): ckpt cannot "
         "trace it as well",
         pid, tid, tracer);
}

// PTRACE_SEIZE without EXITKILL (see seize_process); false when the thread is gone. A parent
// frozen inside vfork() with a child that does not exec refuses it (EPERM): refused by name.
bool seize_or_refuse(pid_t pid, pid_t tid) {
  try {
    return ptrace::seize(tid, ptrace::default_options() & ~PTRACE_O_EXITKILL);
  } catch (const Error&) {
    if (proc::waits_for_vfork_child(tid))
      fail(ErrorKind::kRefused,
           "process {} waits in vfork() for a child that shares its memory and has not exec'd: "
           "not supported",
           pid);
    refuse_traced(pid, tid);
    throw;
  }
}

// In a group stop ("T"; a traced stop is "t", a frozen task "D" or "S").
bool in_group_stop(pid_t tid) {
  return proc::state_of(tid) == 'T';
}

// In a group stop and frozen there by the v1 freezer (shown "D", not "T"): PTRACE_SEIZE would
// make it re-trap and wait for that, which a frozen task never does: the seize would hang for
// good, unkillable.
bool frozen_in_group_stop(pid_t tid) {
  return proc::state_of(tid) != 'T' && proc::wchan_of(tid) == "do_signal_stop";
}

pid_t parent_of(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  char state;
  pid_t ppid = 0;
  rest >> state >> ppid;
  return ppid;
}

}  // namespace

SeizedProcesses::SeizedProcesses(const std::vector<pid_t>& pids) {
  seize_stopped(pids);
  seize(pids);
}

void SeizedProcesses::seize_stopped(const std::vector<pid_t>& pids) {
  try {
    for (pid_t pid : pids)
      if (in_group_stop(pid)) seize_process(pid, /*only_if_stopped=*/true);
  } catch (...) {
    detach_all(spdlog::level::debug);
    threads_.clear();
    stopped_pids_.clear();
    throw;
  }
}

std::vector<pid_t> SeizedProcesses::seize(const std::vector<pid_t>& pids) {
  std::vector<pid_t> frozen_stopped;
  try {
    for (pid_t pid : pids) {
      if (threads_.count(pid)) continue;
      if (frozen_in_group_stop(pid))
        frozen_stopped.push_back(pid);
      else
        seize_process(pid, /*only_if_stopped=*/false);
    }
    return frozen_stopped;
  } catch (...) {
    detach_all(spdlog::level::debug);  // a thread not stopped yet is let go when we exit
    threads_.clear();
    throw;
  }
}

void SeizedProcesses::seize_process(pid_t pid, bool only_if_stopped) {
  auto& seized = threads_[pid];
  std::set<pid_t> done;
  for (;;) {
    bool added = false;
    for (pid_t tid : proc::list_threads(pid)) {
      if (done.count(tid)) continue;
      done.insert(tid);
      char state = proc::state_of(tid);  // '?' when gone: the seize says so
      // Zombie processes are never seized: this is a thread that exited before the others.
      if (state == 'Z')
        fail(ErrorKind::kRefused,
             "process {}: its thread {} has exited while others run; not supported yet", pid, tid);
      bool stopped = state == 'T' || proc::wchan_of(tid) == "do_signal_stop";  // frozen in its stop
      if (stopped != only_if_stopped) {
        if (only_if_stopped)
          fail("thread {} of {} left its group stop while being seized", tid, pid);
        fail(
            "process {} (thread {}) was stopped (SIGSTOP) while the container froze; try the "
            "dump again",
            pid, tid);
      }
      refuse_unsuspendable_seccomp(pid, tid);
      // Without EXITKILL until stopped: a thread we fail to stop (and so cannot detach) is let go
      // when we exit instead of killed, so a failed dump leaves the container running.
      refuse_traced(pid, tid);
      if (!seize_or_refuse(pid, tid)) continue;  // exited meanwhile
      seized.push_back(tid);
      added = true;
      if (only_if_stopped) continue;  // it reports its group stop
      if (!ptrace::interrupt(tid)) fail("thread {} of {} vanished while being seized", tid, pid);
    }
    if (!added) break;
  }
  auto main = std::find(seized.begin(), seized.end(), pid);
  if (main == seized.end()) fail("process {} vanished while being seized", pid);
  std::iter_swap(seized.begin(), main);
  if (only_if_stopped) stopped_pids_.insert(pid);
  spdlog::debug("seized {} with {} threads", pid, seized.size());
}

void SeizedProcesses::wait_stopped() {
  if (stopped_) return;
  std::set<pid_t> stopped;
  for (auto& [pid, tids] : threads_)
    for (pid_t tid : tids) {
      if (!stopped.count(tid)) wait_stop_of(pid, tid, stopped);
      // Never PTRACE_O_EXITKILL: a killed dump must not kill the container. A thread killed
      // mid-injection is put back by the next command (common/ptrace/injection_journal.h).
      ptrace::set_options(tid, ptrace::default_options() & ~PTRACE_O_EXITKILL);
    }
  stopped_ = true;
}

void SeizedProcesses::wait_stop_of(pid_t pid, pid_t tid, std::set<pid_t>& stopped) {
  constexpr std::chrono::milliseconds kVforkCheck{200};
  try {
    int sig = wait_interrupt_stop(pid, tid, kVforkCheck);
    bool stop = sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
    if (tid == pid && stopped_pids_.count(pid) && stop) stop_signals_[pid] = sig;
  } catch (const Error&) {
    if (tid != pid || !proc::waits_for_vfork_child(tid)) {
      wait_interrupt_stop(pid, tid);
    } else {
      release_vfork_children(pid, stopped);
      wait_interrupt_stop(pid, tid);
    }
  }
  stopped.insert(tid);
}

// The children of `pid` held in their interrupt stop before their exec: let each run to its
// next return to user space (the exec done, which releases the parent) and stop there.
void SeizedProcesses::release_vfork_children(pid_t pid, std::set<pid_t>& stopped) {
  for (auto& [child, tids] : threads_) {
    if (child == pid || parent_of(child) != pid) continue;
    if (!stopped.count(child)) wait_interrupt_stop(child, child);
    spdlog::debug("process {} waits for its vfork child {}: letting the child exec", pid, child);
    if (::ptrace(PTRACE_CONT, child, nullptr, 0) != 0) throw_errno("PTRACE_CONT {}", child);
    // Interrupting it at once would stop it again before it ran: wait for the exec first.
    for (int i = 0; i < 2000 && proc::waits_for_vfork_child(pid); ++i) ::usleep(1000);
    if (proc::waits_for_vfork_child(pid))
      fail(ErrorKind::kRefused,
           "process {} waits in vfork() for its child {}, which shares its memory and has not "
           "exec'd within 2 s: not supported",
           pid, child);
    if (!ptrace::interrupt(child)) fail("process {} vanished while being seized", child);
    wait_interrupt_stop(child, child);
    stopped.insert(child);
  }
}

SeizedProcesses::~SeizedProcesses() {
  detach_all(spdlog::level::warn);
}

void SeizedProcesses::detach_all(spdlog::level::level_enum failure_level) {
  for (auto& [pid, tids] : threads_)
    for (pid_t tid : tids) {
      try {
        ptrace::detach(tid);
      } catch (const Error& e) {
        spdlog::log(failure_level, "{}", e.what());
      }
    }
}

int SeizedProcesses::stop_signal(pid_t pid) const {
  if (!was_stopped(pid)) return 0;
  auto it = stop_signals_.find(pid);
  return it == stop_signals_.end() ? SIGSTOP : it->second;
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
