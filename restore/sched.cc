#include "restore/sched.h"

#include "common/sched_attr.h"

namespace ckpt::restore {

void restore_sched(const records::ThreadsState& threads, const std::vector<pid_t>& host_tids) {
  for (size_t i = 0; i < threads.threads.size() && i < host_tids.size(); ++i)
    if (threads.threads[i].sched) write_sched(host_tids[i], *threads.threads[i].sched);
}

}  // namespace ckpt::restore
