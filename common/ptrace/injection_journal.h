// A dump no longer traces a container with PTRACE_O_EXITKILL (a `kill -9` of ckpt dump killed
// the container every time). What EXITKILL protected: a thread left with the registers and
// signal mask of a system call injected into it, had ckpt died mid-injection, would run on
// with them. So the calls run from a trampoline in the injection's scratch area that parks the
// thread in pause() (every signal blocked) should the tracer be gone when the call returns
// (common/ptrace/injection.h), and while a RemoteSyscall holds a thread, its original registers
// and signal mask, and the scratch area, are kept in a file (one per thread) of a journal
// directory: the next ckpt command on the container unmaps the area and puts the registers
// back, then thaws it (runtime/dump_recovery).
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::ptrace {

// Where RemoteSyscall keeps the journal ("" = nowhere, the default: restore has none).
void set_injection_journal(const std::string& dir);

struct JournalEntry {
  pid_t tid = 0;
  user_regs_struct regs{};  // as the thread must go on
  uint64_t sigmask = 0;
  uint64_t scratch = 0, scratch_size = 0;  // the area mapped for the injection, 0: none yet
};

// Called by RemoteSyscall.
void journal_held(const JournalEntry& entry);
void journal_released(pid_t tid);

// The entries left in `dir` by a ckpt that was killed.
std::vector<JournalEntry> read_injection_journal(const std::string& dir);

}  // namespace ckpt::ptrace
