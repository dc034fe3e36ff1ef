// Signal state of a seized process: dispositions, interval timers, alternate stacks, and
// signals queued but not yet delivered.
#pragma once

#include <sys/types.h>

#include <vector>

#include "common/ptrace/injection.h"
#include "common/records/process.h"
#include "common/records/threads.h"

namespace ckpt::dump {

// The action of every signal of process `pid`, by an injected rt_sigaction each for those that
// have a handler or are ignored (per /proc/PID/status) and SIGCHLD (whose SA_NOCLDSTOP and
// SA_NOCLDWAIT act with SIG_DFL too). The others are SIG_DFL, whose flags and mask matter to no
// delivery: they are recorded as zero, sparing ~60 injected calls per process in the freeze
// window.
std::vector<records::SigAction> dump_sigactions(ptrace::Injection& injection, pid_t pid);
std::vector<records::Itimer> dump_itimers(ptrace::Injection& injection);
records::AltStack dump_altstack(ptrace::Injection& injection, ptrace::RemoteSyscall& thread);
// siginfo_t bytes of each queued signal, shared (process-wide) or of one thread.
std::vector<std::string> dump_pending(pid_t tid, bool shared);

}  // namespace ckpt::dump
