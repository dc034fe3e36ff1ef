// A thread's CPU affinity, I/O priority and timer slack (records::TaskTuning), read and set from
// outside the thread by its tracer (root: CAP_SYS_NICE, CAP_SYS_ADMIN for the realtime I/O class).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/records/threads.h"

namespace ckpt {

// ioprio_get(IOPRIO_WHO_PROCESS) of one thread.
int32_t read_io_priority(pid_t tid);

// Everything but tsc_mode, which only the thread itself can tell (prctl).
records::TaskTuning read_task_tuning(pid_t tid);
// Sets what differs from what `tid` has now; fails naming `what` (e.g. "process 7 thread 9")
// when the affinity cannot be had here (none of its CPUs in the restored cpuset).
void write_task_tuning(pid_t tid, const records::TaskTuning& tuning, const std::string& what);

// "0-3,8,10-11" -> a mask of 64 CPUs a word; throws on a malformed list.
std::vector<uint64_t> parse_cpu_list(const std::string& list);
std::string format_cpu_list(const std::vector<uint64_t>& mask);

}  // namespace ckpt
