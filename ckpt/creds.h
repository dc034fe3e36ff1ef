// Credentials and the small per-process settings /proc shows: ids, groups, capabilities,
// no_new_privs, umask, oom_score_adj.
#pragma once

#include <sys/types.h>

#include <vector>

#include "common/records/process.h"

namespace ckpt::dump {

// Fills creds, umask and oom_score_adj of `state` from /proc/PID; refuses a thread of `tids`
// whose credentials differ from the process's.
void dump_creds(pid_t pid, const std::vector<pid_t>& tids, records::ProcessState& state);

}  // namespace ckpt::dump
