// /proc/PID/limits: every resource limit of a process, readable whatever its owner (prlimit()
// on a process of another uid needs CAP_SYS_RESOURCE, which root lacks on some hosts).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::proc {

struct Limit {
  uint64_t soft = 0;
  uint64_t hard = 0;  // RLIM_INFINITY for "unlimited"
};

// The limits in RLIMIT_* order (the kernel prints them in that order); `origin` names the file
// in errors.
std::vector<Limit> parse_limits(const std::string& text, const std::string& origin);
std::vector<Limit> read_limits(pid_t pid);

}  // namespace ckpt::proc
