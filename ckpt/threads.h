// Per-thread state of a seized thread: registers, FPU/AVX state, blocked signals, rseq.
#pragma once

#include <sys/types.h>

#include "common/ptrace/injection.h"
#include "common/records/threads.h"

namespace ckpt::dump {

// Everything but what needs injection: the alternate signal stack (signals.h), clear_child_tid.
records::ThreadState dump_thread(pid_t host_tid, pid_t ns_tid);

// The thread's clear_child_tid address, by an injected prctl(PR_GET_TID_ADDRESS).
uint64_t dump_clear_child_tid(ptrace::Injection& injection, ptrace::RemoteSyscall& thread);

}  // namespace ckpt::dump
