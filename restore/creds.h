// Credentials and process settings of a restored process, injected once nothing privileged is
// left to do in it: pdeath signal, oom_score_adj, ids, groups, securebits, every capability set
// (effective, permitted, inheritable, bounding, ambient), no_new_privs; the credentials in every
// thread (`host_tids`, the main thread first): the process's, or the thread's own when it had
// credentials of its own (`threads`).
#pragma once

#include <vector>

#include "common/records/process.h"
#include "common/records/threads.h"
#include "restore/seize.h"

namespace ckpt::restore {

void restore_creds(Restorer& r, const records::ProcessState& process,
                   const records::ThreadsState& threads, const std::vector<pid_t>& host_tids);

}  // namespace ckpt::restore
