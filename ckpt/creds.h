// Credentials and the small per-process settings /proc shows: ids, groups, capabilities,
// no_new_privs, umask, oom_score_adj.
#pragma once

#include <sys/types.h>

#include <vector>

#include "common/ptrace/injection.h"
#include "common/records/process.h"
#include "common/records/threads.h"

namespace ckpt::dump {

// Fills creds, umask, oom_score_adj and coredump_filter of `state` from /proc/PID, and the
// own_creds of each thread of `tids` (threads.threads[i] is tids[i]) whose credentials differ
// from the process's.
void dump_creds(pid_t pid, const std::vector<pid_t>& tids, records::ProcessState& state,
                records::ThreadsState& threads);

// Refuse what of the kernel's keys (keyctl) cannot come back, a key's id being the kernel's to
// choose: a session keyring holding keys or a process keyring of process `pid`, asked through
// `injection`; a thread keyring of its thread `tid`, asked through `thread`.
void refuse_process_keyrings(ptrace::Injection& injection, pid_t pid);
void refuse_thread_keyring(ptrace::RemoteSyscall& thread, pid_t pid, pid_t tid);

}  // namespace ckpt::dump
