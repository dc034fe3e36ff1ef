// NUMA memory policies set again (the dump side is ckpt/mempolicy.h): each mapping's by mbind(2)
// once the mappings exist and before their pages are filled (so that a policy places them, as
// it would have), each thread's by set_mempolicy(2) in the thread. A node the host lacks fails
// the restore naming the process and the policy.
#pragma once

#include <sys/types.h>

#include <vector>

#include "common/records/mm.h"
#include "common/records/threads.h"
#include "restore/seize.h"

namespace ckpt::restore {

void restore_vma_policies(Restorer& r, const records::MmState& mm);

// `host_tids[i]` is `threads.threads[i]`.
void restore_thread_policies(Restorer& r, const records::ThreadsState& threads,
                             const std::vector<pid_t>& host_tids);

}  // namespace ckpt::restore
