// POSIX timers created again in a restored process with their ids (PR_TIMER_CREATE_RESTORE_IDS,
// Linux 6.16+) and armed with the time they had left.
#pragma once

#include "common/records/timers.h"
#include "restore/seize.h"

namespace ckpt::restore {

// Set last among the process's state, like the interval timers: they start counting here.
void restore_posix_timers(Restorer& r, const records::PosixTimers& timers);

}  // namespace ckpt::restore
