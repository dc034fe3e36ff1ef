// /proc/PID/timers: the POSIX timers (timer_create) of a process, without their times (those
// only timer_gettime in the process can tell).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::proc {

struct ProcTimer {
  int32_t id = 0;
  int32_t signo = 0;
  uint64_t sigval = 0;  // sigev_value as the kernel prints it (the pointer member)
  int32_t notify = 0;   // SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD; | SIGEV_THREAD_ID for "tid."
  pid_t target = 0;     // the pid or tid signalled, in the reader's pid namespace
  int32_t clock = 0;
};

// Parses the text of a timers file; `origin` names it in errors.
std::vector<ProcTimer> parse_timers(const std::string& text, const std::string& origin);
std::vector<ProcTimer> read_timers(pid_t pid);

}  // namespace ckpt::proc
