// The dump side of virtual time: the container's CLOCK_MONOTONIC and CLOCK_BOOTTIME while it is
// frozen, as its time namespace shows them: our clocks moved by the difference between its
// offsets and ours (/proc/PID/timens_offsets), with no process entering the namespace.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/records/time.h"

namespace ckpt::dump {

records::TimeNamespace collect_time(pid_t init_pid);

// The offsets in /proc/PID/timens_offsets ("monotonic S N\nboottime S N\n").
records::TimeNamespace parse_timens_offsets(const std::string& text, const std::string& origin);

// The clocks `now` of our namespace as seen in one whose offsets are `theirs` (ours: `ours`).
records::TimeNamespace clocks_in(const records::TimeNamespace& now,
                                 const records::TimeNamespace& theirs,
                                 const records::TimeNamespace& ours);

}  // namespace ckpt::dump
