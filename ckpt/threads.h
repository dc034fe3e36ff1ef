// Per-thread state of a seized thread: registers, FPU/AVX state, blocked signals, rseq.
#pragma once

#include <sys/types.h>

#include "common/records/threads.h"

namespace ckpt::dump {

// Everything but the alternate signal stack (which needs injection; see signals.h).
records::ThreadState dump_thread(pid_t host_tid, pid_t ns_tid);

}  // namespace ckpt::dump
