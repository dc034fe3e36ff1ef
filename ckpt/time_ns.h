// The dump side of virtual time: the container's CLOCK_MONOTONIC and CLOCK_BOOTTIME, read inside
// its time namespace while it is frozen.
#pragma once

#include <sys/types.h>

#include "common/records/time.h"

namespace ckpt::dump {

records::TimeNamespace collect_time(pid_t init_pid);

}  // namespace ckpt::dump
