// Signal state put back into a restored process by injected system calls.
#pragma once

#include <string>
#include <vector>

#include "common/ptrace/remote_syscall.h"
#include "common/records/process.h"
#include "common/records/threads.h"
#include "restore/seize.h"

namespace ckpt::restore {

void restore_sigactions(Restorer& r, const std::vector<records::SigAction>& actions);
// Set last: ITIMER_REAL starts counting when it is set.
void restore_itimers(Restorer& r, const std::vector<records::Itimer>& timers);
void restore_altstack(Restorer& r, ptrace::RemoteSyscall& thread, const records::AltStack& stack);
// Takes `signals` (a mask, bit N-1 for signal N) off the process's pending queue: what the
// restore itself sent it (a restored zombie child's exit, a helper's), before the dumped
// pending signals go back.
void drop_pending(Restorer& r, uint64_t signals);
// Queues each siginfo again: to the process (`ns_tid` 0) or to one thread.
void requeue_signals(Restorer& r, ptrace::RemoteSyscall& thread, pid_t ns_tid,
                     const std::vector<std::string>& siginfos);

}  // namespace ckpt::restore
