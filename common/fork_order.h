// Who forks whom when a dumped process tree is made again, so that every process gets back its
// parent, session and process group.
//
// A process in a session its parent is not in was forked inside that session by a process that
// has exited since (it was then reparented to init or a child subreaper): it is forked by the
// session's leader when that is a zombie (which exits later), else by a helper that takes the
// gone leader's pid, makes the session, and exits (reaped by its parent) once every process
// joined its group. A process group whose leader is gone gets such a helper too, in its session.
// Where the reparenting would not end at the dumped parent, the plan is refused by name, as is a
// child sharing its parent's fd table or fs state (clone CLONE_FILES/CLONE_FS) that a helper
// would have to fork: it must be cloned by that parent.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "common/records/tree.h"

namespace ckpt {

struct ForkOrder {
  // One per gone leader: pid = sid or pgid it stands for, ppid = the process that forks it.
  std::vector<records::ProcessEntry> helpers;
  // The pid of the process that forks each process of the tree (0 for its root), then of each
  // helper, in that order.
  std::vector<int32_t> forker;
};

// `subreapers`: pids of the tree's child subreapers (PR_SET_CHILD_SUBREAPER).
ForkOrder plan_fork_order(const records::ProcessTree& tree, const std::set<int32_t>& subreapers);

}  // namespace ckpt
