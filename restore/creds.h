// Credentials and process settings of a restored process, injected once nothing privileged is
// left to do in it: pdeath signal, oom_score_adj, ids, groups, securebits, every capability set
// (effective, permitted, inheritable, bounding, ambient), no_new_privs; the credentials in every
// thread (`host_tids`, the main thread first): the process's, or the thread's own when it had
// credentials of its own (`threads`).
#pragma once

#include <string>
#include <vector>

#include "common/image/image.h"
#include "common/records/process.h"
#include "common/records/threads.h"
#include "restore/seize.h"

namespace ckpt::restore {

// "RLIMIT_NOFILE" for RLIMIT_NOFILE, ... (no allocation: also for a forked restorer child).
const char* rlimit_name(size_t resource);

// Before anything is made: fails (a precondition this host lacks, exit 7) naming the first
// process of `image` whose hard limit the restored tree cannot be given again, as it inherits
// this restore's own: a hard limit above it without CAP_SYS_RESOURCE (which root lacks on some
// hosts), or RLIMIT_NOFILE's above fs.nr_open. Never a lower limit instead.
void refuse_unsettable_rlimits(const image::ImageReader& image);

void restore_creds(Restorer& r, const records::ProcessState& process,
                   const records::ThreadsState& threads, const std::vector<pid_t>& host_tids);

}  // namespace ckpt::restore
