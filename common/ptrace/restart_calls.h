// Sleeping system calls the kernel restarts through a restart block (nanosleep, clock_nanosleep,
// poll or select with a timeout, a futex wait with a timeout) return -ERESTART_RESTARTBLOCK when
// a tracer stops them, and run on as restart_syscall(2) once it lets them go: from then on the
// thread's registers name no call. A restore (a new process without that restart block) can only
// re-run a call it knows, and restart_syscall there ends at once with EINTR. So ckpt remembers
// the call it saw interrupted each time it stopped a thread (a pre-copy round, an injection)
// and gives a later dump of the same call, still in restart_syscall, its number back.
#pragma once

#include <sys/types.h>
#include <sys/user.h>

namespace ckpt::ptrace {

// Called with the registers a stop found (before any are changed).
void remember_interrupted_call(pid_t tid, const user_regs_struct& regs);

// `regs` with orig_rax set to the call remembered for `tid`, when they show restart_syscall
// interrupted at the very instruction and with the very arguments of that call.
user_regs_struct with_remembered_call(pid_t tid, user_regs_struct regs);

}  // namespace ckpt::ptrace
