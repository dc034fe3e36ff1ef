// Seccomp of a seized process: its mode and its filters (PTRACE_SECCOMP_GET_FILTER), the same in
// every thread or refused by name. The threads must have been seized with their seccomp
// suspended (ptrace::suspends_seccomp()), or the dump's injected calls meet the filters.
#pragma once

#include <sys/types.h>

#include <vector>

#include "common/records/seccomp.h"

namespace ckpt::dump {

// Fails naming the thread when `tid` is under seccomp and the tracer cannot suspend it: every
// injected call would then be filtered, and kill it in strict mode. Called before the seize.
void refuse_unsuspendable_seccomp(pid_t pid, pid_t tid);

// `tids`: the stopped threads of `pid`, the main thread first.
records::Seccomp dump_seccomp(pid_t pid, const std::vector<pid_t>& tids);

}  // namespace ckpt::dump
