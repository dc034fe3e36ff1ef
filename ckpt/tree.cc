#include "ckpt/tree.h"

#include <algorithm>
#include <deque>
#include <set>

#include "common/error.h"
#include "common/error_kind.h"
#include "common/proc/pid_status.h"
#include "common/proc/stat.h"
#include "common/proc/tasks.h"

namespace ckpt::dump {

namespace {

records::ProcessEntry describe_process(pid_t host_pid) {
  auto st = proc::read_pid_status(host_pid);
  records::ProcessEntry e;
  e.host_pid = host_pid;
  e.pid = st.ns_pid.back();
  e.pgid = st.ns_pgid.empty() ? 0 : st.ns_pgid.back();
  e.sid = st.ns_sid.empty() ? 0 : st.ns_sid.back();
  e.comm = st.name;
  // A zombie process; a main thread that exited while others run shows "Z" too: every call
  // the dump and restore make on a process goes through its main thread.
  if (st.state == 'Z' && st.threads > 1)
    fail(ErrorKind::kRefused,
         "process {} ({}): its main thread has exited while {} other threads run (pthread_exit "
         "in main); not supported",
         e.pid, st.name, st.threads - 1);
  if (st.state == 'Z') {
    e.zombie = true;
    e.exit_status = proc::read_stat(host_pid).exit_code;
  } else {
    e.cmdline = proc::read_cmdline(host_pid);
  }
  for (pid_t tid : proc::list_threads(host_pid)) {
    auto tst = proc::read_pid_status(tid);
    e.threads.push_back({tid, tst.ns_pid.back()});
  }
  // Main thread first.
  std::stable_partition(e.threads.begin(), e.threads.end(),
                        [&](const records::ThreadId& t) { return t.host_tid == host_pid; });
  return e;
}

}  // namespace

records::ProcessTree collect_process_tree(pid_t init_pid) {
  records::ProcessTree tree;
  std::deque<std::pair<pid_t, int32_t>> queue{{init_pid, 0}};  // host pid, parent's ns pid
  std::set<pid_t> seen;
  while (!queue.empty()) {
    auto [host_pid, ppid] = queue.front();
    queue.pop_front();
    if (!seen.insert(host_pid).second) continue;
    records::ProcessEntry entry = describe_process(host_pid);
    entry.ppid = ppid;
    for (pid_t child : proc::list_children(host_pid)) queue.emplace_back(child, entry.pid);
    tree.processes.push_back(std::move(entry));
  }
  return tree;
}

void check_tree_matches_cgroup(const records::ProcessTree& tree,
                               const std::vector<pid_t>& cgroup_pids) {
  std::set<pid_t> in_tree;
  for (const auto& p : tree.processes) in_tree.insert(p.host_pid);
  for (pid_t pid : cgroup_pids)
    if (!in_tree.count(pid))
      fail(ErrorKind::kRefused,
           "process {} is in the container's cgroup but not below its init; cannot dump it", pid);
}

}  // namespace ckpt::dump
