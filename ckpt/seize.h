// Every thread of the container's processes under ptrace and stopped, for as long as the
// object lives; destruction detaches them all (the processes carry on unless killed).
//
// Freezers: seize() may run while the cgroup is frozen. With the v1 freezer the stops are only
// reported after the thaw, so call wait_stopped() after thawing; with v2 (or no freezer) call it
// at once. Threads are listed from /proc/PID/task until the list stops changing.
#pragma once

#include <sys/types.h>

#include <spdlog/common.h>
#include <map>
#include <set>
#include <vector>

namespace ckpt::dump {

class SeizedProcesses {
 public:
  SeizedProcesses() = default;
  // seize(pids) at once (no freezer involved).
  explicit SeizedProcesses(const std::vector<pid_t>& pids);
  ~SeizedProcesses();

  // Before the freeze (or after a v1 thaw): seizes every thread of the processes of `pids` that
  // are in a group stop (SIGSTOP, a job stopped with Ctrl-Z). PTRACE_SEIZE makes a stopped task
  // re-trap and waits for it, which a frozen one never does: seizing it frozen would hang for
  // good. They report their stop like the others, and stay stopped when detached.
  void seize_stopped(const std::vector<pid_t>& pids);
  // PTRACE_SEIZE + PTRACE_INTERRUPT of every thread of `pids` (host pids) not seized yet. A
  // thread found in a group stop now (stopped after seize_stopped) fails the dump by name.
  // Returns the processes found frozen in a group stop by the v1 freezer (a container its user
  // froze, or one that stopped as the freeze came), not seized: call seize_stopped() with them
  // once the cgroup is thawed.
  std::vector<pid_t> seize(const std::vector<pid_t>& pids);
  // Whether `pid` was in a group stop when seized.
  bool was_stopped(pid_t pid) const { return stopped_pids_.count(pid) != 0; }
  // The signal that stopped it (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU), 0 when not stopped.
  int stop_signal(pid_t pid) const;
  SeizedProcesses(const SeizedProcesses&) = delete;
  SeizedProcesses& operator=(const SeizedProcesses&) = delete;

  // Waits until every seized thread reports its stop.
  void wait_stopped();
  // Host tids of `pid`, the main thread first.
  const std::vector<pid_t>& threads(pid_t pid) const;
  std::vector<pid_t> pids() const;

 private:
  void seize_process(pid_t pid, bool only_if_stopped);
  void wait_stop_of(pid_t pid, pid_t tid, std::set<pid_t>& stopped);
  void release_vfork_children(pid_t pid, std::set<pid_t>& stopped);
  // Detaches every seized thread, logging each failure at `failure_level`.
  void detach_all(spdlog::level::level_enum failure_level);
  std::map<pid_t, std::vector<pid_t>> threads_;
  std::set<pid_t> stopped_pids_;
  std::map<pid_t, int> stop_signals_;
  bool stopped_ = false;
};

}  // namespace ckpt::dump
