// Collects the container's process tree: every process below its init, with ids as seen
// inside the container.
#pragma once

#include <sys/types.h>

#include "common/records/tree.h"

namespace ckpt::dump {

// Walks /proc from `init_pid` (a host pid) down through children. Parents come before
// children. Throws if a process vanished (the container must be frozen).
records::ProcessTree collect_process_tree(pid_t init_pid);

// Checks that the tree holds exactly the processes of the container's cgroup; throws naming a
// process that is in the cgroup but not below init (e.g. one that entered with setns).
void check_tree_matches_cgroup(const records::ProcessTree& tree,
                               const std::vector<pid_t>& cgroup_pids);

}  // namespace ckpt::dump
