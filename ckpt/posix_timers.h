// The POSIX timers of a seized process: /proc/PID/timers names them, timer_gettime() injected
// into the process reads how long each has left and its period.
#pragma once

#include <sys/types.h>

#include <map>

#include "common/ptrace/injection.h"
#include "common/records/timers.h"

namespace ckpt::dump {

// `ns_tid_of`: host tid -> tid inside the container, for timers that signal one thread.
records::PosixTimers dump_posix_timers(ptrace::Injection& injection, pid_t pid,
                                       const std::map<pid_t, pid_t>& ns_tid_of);

}  // namespace ckpt::dump
