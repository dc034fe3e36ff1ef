// Threads' scheduling set back by the tracer (sched_setattr on their host tids; root has
// CAP_SYS_NICE for a lower nice or a realtime policy), with their CPU affinity, I/O priority
// and timer slack.
#pragma once

#include <sys/types.h>

#include <vector>

#include "common/records/threads.h"

namespace ckpt::restore {

// `host_tids[i]` is the restored threads.threads[i]; threads dumped without it are left alone.
void restore_sched(const records::ThreadsState& threads, const std::vector<pid_t>& host_tids);

}  // namespace ckpt::restore
