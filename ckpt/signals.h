// Signal state of a seized process: dispositions, interval timers, alternate stacks, and
// signals queued but not yet delivered.
#pragma once

#include <sys/types.h>

#include <vector>

#include "ckpt/injection.h"
#include "common/records/process.h"
#include "common/records/threads.h"

namespace ckpt::dump {

std::vector<records::SigAction> dump_sigactions(Injection& injection);
std::vector<records::Itimer> dump_itimers(Injection& injection);
records::AltStack dump_altstack(Injection& injection, pid_t tid);
// siginfo_t bytes of each queued signal, shared (process-wide) or of one thread.
std::vector<std::string> dump_pending(pid_t tid, bool shared);

}  // namespace ckpt::dump
