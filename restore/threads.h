// Threads of a restored process: extra threads cloned with their exact tids, then every
// thread's rseq, alternate stack, queued signals, FPU state, registers and mask, registers last.
#pragma once

#include <sys/types.h>

#include <vector>

#include "common/records/threads.h"
#include "restore/seize.h"

namespace ckpt::restore {

// Clones threads[1..] in the process; returns the host tids of all threads, main first.
std::vector<pid_t> create_threads(Restorer& r, const records::ThreadsState& threads);

// Everything per thread of the non-main threads; they stay stopped until detached.
void restore_secondary_threads(Restorer& r, const records::ThreadsState& threads,
                               const std::vector<pid_t>& host_tids);

// The main thread's state but its registers and mask (set by Restorer::finish).
void restore_main_thread(Restorer& r, const records::ThreadState& thread);

// Syscall user dispatch of every thread that had it, through ptrace: last, once no call is
// injected into the process any more (each would raise SIGSYS).
void restore_syscall_dispatch(Restorer& r, const records::ThreadsState& threads,
                              const std::vector<pid_t>& host_tids);

// The registers to resume `thread` with: its dumped registers, an interrupted call re-entered.
user_regs_struct resume_regs(const records::ThreadState& thread);

}  // namespace ckpt::restore
