// Credentials and the small per-process settings /proc shows: ids, groups, capabilities,
// no_new_privs, umask, oom_score_adj.
#pragma once

#include <sys/types.h>

#include <vector>

#include "common/ptrace/injection.h"
#include "common/records/process.h"
#include "common/records/threads.h"

namespace ckpt::dump {

// Fills creds, umask and oom_score_adj of `state` from /proc/PID, and the own_creds of each
// thread of `tids` (threads.threads[i] is tids[i]) whose credentials differ from the process's.
void dump_creds(pid_t pid, const std::vector<pid_t>& tids, records::ProcessState& state,
                records::ThreadsState& threads);

// Refuses what of the kernel's keys (keyctl) cannot come back: a key's id is the kernel's to
// choose, so a session keyring holding keys, a process keyring or a thread keyring of process
// `pid` (threads `tids`), asked of each thread through `injection`.
void refuse_keyrings(ptrace::Injection& injection, pid_t pid, const std::vector<pid_t>& tids);

}  // namespace ckpt::dump
