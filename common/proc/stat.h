// /proc/PID/stat fields the process dump needs.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace ckpt::proc {

struct Stat {
  std::string comm;
  char state = '?';
  pid_t ppid = 0, pgrp = 0, session = 0;
  uint32_t tty_nr = 0;  // the controlling terminal's device (major()/minor() decode it), 0: none
  pid_t tpgid = -1;     // its foreground process group, -1: none
  int exit_signal = 0;
  int priority = 0;  // field 18: the kernel's prio less 100 (nice + 20 for most threads)
  uint64_t start_code = 0, end_code = 0, start_stack = 0;
  uint64_t start_data = 0, end_data = 0, start_brk = 0;
  uint64_t arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
  int exit_code = 0;  // a zombie's status as wait() reports it (field 52)
};

Stat parse_stat(const std::string& text);
Stat read_stat(pid_t pid);
// The state letter of /proc/PID/stat ('T' in a group stop, 't' in a ptrace stop), '?' when gone.
char state_of(pid_t pid);
// The kernel function `tid` sleeps in ("" when it runs or is gone).
std::string wchan_of(pid_t tid);
// A thread blocked in vfork() until its child execs or exits: frozen there it reaches no
// interrupt stop, and a new PTRACE_SEIZE of it fails (EPERM).
bool waits_for_vfork_child(pid_t tid);

}  // namespace ckpt::proc
