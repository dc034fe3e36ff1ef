// A thread's scheduling attributes (sched_getattr/sched_setattr: policy, nice, realtime
// priority, reset-on-fork, deadline parameters), read and set from outside the thread.
#pragma once

#include <sys/types.h>

#include "common/records/threads.h"

namespace ckpt {

records::Sched read_sched(pid_t tid);
// Needs CAP_SYS_NICE for a lower nice or a realtime policy.
void write_sched(pid_t tid, const records::Sched& sched);

}  // namespace ckpt
