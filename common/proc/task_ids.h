// The thread ids of a process, from /proc/PID/task. (Private stand-in until the lead's
// common/proc/tasks.h lands; switch to it then.)
#pragma once

#include <sys/types.h>

#include <set>

namespace ckpt::proc {

std::set<pid_t> task_ids(pid_t pid);

}  // namespace ckpt::proc
