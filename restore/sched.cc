#include "restore/sched.h"

#include "common/sched_attr.h"
#include "common/task_tuning.h"

namespace ckpt::restore {

void restore_sched(const records::ThreadsState& threads, const std::vector<pid_t>& host_tids) {
  for (size_t i = 0; i < threads.threads.size() && i < host_tids.size(); ++i) {
    const auto& thread = threads.threads[i];
    // First: a realtime policy drops the timer slack (and ignores a new one).
    if (thread.tuning)
      write_task_tuning(host_tids[i], *thread.tuning, fmt::format("thread {}", thread.tid));
    if (thread.sched) write_sched(host_tids[i], *thread.sched);
  }
}

}  // namespace ckpt::restore
