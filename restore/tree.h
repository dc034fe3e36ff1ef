// The process tree forked with its exact pids inside the new pid namespace.
//
// The tracer prepares a ForkPlan before the container's root task is cloned (the plan lives in
// a shared page the root task inherits). The root task calls run_as_root(): it becomes the
// container's init (or, when the image's init is not pid 1, a helper init that forks the tree
// and reaps). The tree is made in three steps, each ended by the tracer once every process is
// through the one before (common/fork_order says who forks whom):
//   1. fork   every process forks its own children (and helpers standing in for gone session or
//             group leaders) with clone3(set_tid), a child sharing its parent's fd table or
//             cwd/root/umask with CLONE_FILES or CLONE_FS, makes its session or own group
//             (subreaper too) and installs its fds (a table shared with children: at the start
//             of the join step, once they forked theirs; a child sharing it installs nothing)
//   2. join   every process (all exist now) opens the pidfds it holds first and joins its
//             process group (all groups exist now); zombies then exit
//   3. exit   helpers exit and are reaped by their parents, whose children they forked are
//             reparented as they were; each process takes the pidfds it shares from their first
//             holder (a child sharing its parent's fd table: its POSIX locks only), sets what it
//             can set itself (cwd and umask unless it shares its parent's, rlimits, personality)
//             and waits for its zombie children to be zombies
// then sleeps until the tracer takes it over. A process that cannot be made fails the wait at
// once, naming it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "common/fork_order.h"
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
  // Throws, before anything is forked, when the tree's sessions and groups cannot be made.
  ForkPlan(records::ProcessTree tree, std::vector<records::ProcessState> states);
  ~ForkPlan();
  ForkPlan(const ForkPlan&) = delete;
  ForkPlan& operator=(const ForkPlan&) = delete;

  // In the cloned root task (pid 1 of the new namespace). `files` may be null (no fds restored).
  [[noreturn]] void run_as_root(OpenedFiles* files, SessionHook on_session = {});
  // In the tracer: lets the root task fork the tree (once it is in the container's cgroups).
  void start();
  // In the tracer: takes the tree through its three steps; throws at once naming a process that
  // could not be made, or when `check` (called while waiting) throws, or after `timeout_ms`.
  void wait_ready(int timeout_ms, const std::function<void()>& check = {}) const;

  const records::ProcessTree& tree() const { return tree_; }

 private:
  struct SharedPage;
  enum Step : int32_t { kWait = 0, kFork = 1, kJoin = 2, kExit = 3 };
  const records::ProcessEntry& entry(size_t slot) const;
  bool is_helper(size_t slot) const { return slot >= tree_.processes.size(); }
  [[noreturn]] void become(size_t slot, OpenedFiles* files);
  [[noreturn]] void become_helper(size_t slot, OpenedFiles* files);
  [[noreturn]] void exit_as_zombie(const records::ProcessEntry& entry);
  void fork_children(size_t slot, OpenedFiles* files);
  void fork_child(size_t slot, OpenedFiles* files);
  void make_own_group(const records::ProcessEntry& entry);
  void join_group(const records::ProcessEntry& entry);
  // Reaps the helpers `pid` forked and waits until its zombie children have exited.
  void settle_children(pid_t pid);
  // Counts this process through the current step and sleeps until the tracer starts `next`.
  void pass(std::atomic<int32_t>& counter, Step next);
  void count(std::atomic<int32_t>& counter);
  // Reports process `pid` as impossible to make (`what` failed: `why`, or errno) and exits.
  [[noreturn]] void die(pid_t pid, const char* what, const char* why) const;
  [[noreturn]] void die(pid_t pid, const char* what) const;
  void set_own_state(size_t index);
  // Whether a child of process `slot` shares its fd table (clone CLONE_FILES).
  bool shares_files_with_children(size_t slot) const;
  // One step of OpenedFiles for process `pid` (its fds, its pidfds); a failure fails the process
  // (`what` failed).
  void files_step(pid_t pid, OpenedFiles* files, void (OpenedFiles::*step)(pid_t),
                  const char* what) const;
  void wait_for_start() const;
  void wait_count(const std::atomic<int32_t>& counter, int32_t want,
                  std::chrono::steady_clock::time_point deadline,
                  const std::function<void()>& check) const;
  void set_step(Step step) const;

  records::ProcessTree tree_;
  std::vector<records::ProcessState> states_;
  ForkOrder order_;
  SharedPage* shared_ = nullptr;
  UniqueFd tracer_;  // a pidfd of the tracer, inherited by the root task (wait_for_start)
  SessionHook on_session_;  // in the root task and its children
};

}  // namespace ckpt::restore
