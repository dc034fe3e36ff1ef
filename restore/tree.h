// The process tree forked with its exact pids inside the new pid namespace.
//
// The tracer prepares a ForkPlan before the container's root task is cloned (the plan lives in
// a shared page the root task inherits). The root task calls run_as_root(): it becomes the
// container's init (or, when the image's init is not pid 1, a helper init that forks the tree
// and reaps), every process forks its own children with clone3(set_tid), sets what it can set
// itself (session, own process group, cwd, umask, rlimits, personality), installs its fds, counts
// itself ready and sleeps until the tracer takes it over.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "common/records/process.h"
#include "common/records/tree.h"
#include "common/unique_fd.h"
#include "restore/files.h"

namespace ckpt::restore {

// Run in each forked process right after its session is made, before it forks its children
// (e.g. to take its controlling terminal, which the children then inherit).
using SessionHook = std::function<void(pid_t ns_pid)>;

class ForkPlan {
 public:
  ForkPlan(records::ProcessTree tree, std::vector<records::ProcessState> states);
  ~ForkPlan();
  ForkPlan(const ForkPlan&) = delete;
  ForkPlan& operator=(const ForkPlan&) = delete;

  // In the cloned root task (pid 1 of the new namespace). `files` may be null (no fds restored).
  [[noreturn]] void run_as_root(OpenedFiles* files, SessionHook on_session = {});
  // In the tracer: lets the root task fork the tree (once it is in the container's cgroups).
  void start();
  // In the tracer: until every process is ready; throws at once when one failed, or after
  // `timeout_ms`. The constructor refuses a tree whose processes the forks would not all reach.
  // `root`: the root task (a child of the caller), whose death ends the wait too.
  void wait_ready(int timeout_ms, pid_t root) const;

  const records::ProcessTree& tree() const { return tree_; }

 private:
  [[noreturn]] void become(size_t index, OpenedFiles* files);
  [[noreturn]] void become_zombie(const records::ProcessEntry& entry);
  // One more process ready for the tracer (wait_ready).
  void count_ready();
  void fork_child(size_t index, OpenedFiles* files);
  void set_own_state(size_t index);
  void wait_for_start() const;

  records::ProcessTree tree_;
  std::vector<records::ProcessState> states_;
  std::atomic<int32_t>* ready_ = nullptr;  // in a MAP_SHARED page
  std::atomic<int32_t>* go_ = nullptr;     // same page: set by start()
  std::atomic<int32_t>* failed_ = nullptr; // same page: processes that exited failing
  SessionHook on_session_;                 // in the root task and its children
  UniqueFd tracer_;                        // a pidfd of the tracer, inherited by the root task
};

}  // namespace ckpt::restore
