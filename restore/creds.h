// Credentials and process settings of a restored process, injected once nothing privileged is
// left to do in it: pdeath signal, child subreaper, oom_score_adj, ids, groups, capabilities.
#pragma once

#include "common/records/process.h"
#include "restore/seize.h"

namespace ckpt::restore {

void restore_creds(Restorer& r, const records::ProcessState& process);

}  // namespace ckpt::restore
