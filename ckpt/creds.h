// Credentials and the small per-process settings /proc shows: ids, groups, capabilities,
// no_new_privs, umask, oom_score_adj.
#pragma once

#include <sys/types.h>

#include "common/records/process.h"

namespace ckpt::dump {

// Fills creds, umask and oom_score_adj of `state` from /proc/PID.
void dump_creds(pid_t pid, records::ProcessState& state);

}  // namespace ckpt::dump
