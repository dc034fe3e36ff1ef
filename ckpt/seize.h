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
  // PTRACE_SEIZE + PTRACE_INTERRUPT of every thread of `pids` (host pids).
  explicit SeizedProcesses(const std::vector<pid_t>& pids);
  ~SeizedProcesses();
  SeizedProcesses(const SeizedProcesses&) = delete;
  SeizedProcesses& operator=(const SeizedProcesses&) = delete;

  // Waits until every seized thread reports its stop.
  void wait_stopped();
  // Host tids of `pid`, the main thread first.
  const std::vector<pid_t>& threads(pid_t pid) const;
  std::vector<pid_t> pids() const;

 private:
  void seize_process(pid_t pid);
  void wait_stop_of(pid_t pid, pid_t tid, std::set<pid_t>& stopped);
  void release_vfork_children(pid_t pid, std::set<pid_t>& stopped);
  // Detaches every seized thread, logging each failure at `failure_level`.
  void detach_all(spdlog::level::level_enum failure_level);
  std::map<pid_t, std::vector<pid_t>> threads_;
  bool stopped_ = false;
};

}  // namespace ckpt::dump
