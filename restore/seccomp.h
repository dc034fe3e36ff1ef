// Seccomp of a restored process, put in after every other injected call that could meet it
// (the tracer seizes with seccomp suspended, ptrace::suspends_seccomp(), so the few calls that
// follow pass, the scratch area's munmap among them).
#pragma once

#include <sys/types.h>

#include <vector>

#include "common/records/process.h"
#include "common/records/threads.h"
#include "restore/seize.h"

namespace ckpt::restore {

// Filters installed while privileged (no no_new_privs) by a process that has since lost
// CAP_SYS_ADMIN: they must go in before its credentials are restored.
bool seccomp_filters_need_privilege(const records::ProcessState& process);

// The filters in their order, in every thread at once (TSYNC: one chain they share, as before).
void install_seccomp_filters(Restorer& r, const records::Seccomp& seccomp, size_t thread_count);

// Strict mode entered by every thread: the main thread's last call before Restorer::finish.
void enter_seccomp_strict(Restorer& r, const records::ThreadsState& threads,
                          const std::vector<pid_t>& host_tids);

}  // namespace ckpt::restore
