// A dump no longer traces a container with PTRACE_O_EXITKILL (a `kill -9` of ckpt dump killed
// the container every time). What EXITKILL protected: a thread left with the registers and
// signal mask of a system call injected into it, had ckpt died mid-injection, would run on
// with them. So every injected call runs from a trampoline that parks the thread in pause()
// (every signal blocked) should the tracer be gone when the call returns
// (common/ptrace/trampoline.h): in the injection's scratch area, and for the mmap and munmap of
// that area, in a patch written into the process's vdso (common/ptrace/vdso_patch.h). While a
// RemoteSyscall holds a thread, its original registers and signal mask, and the scratch area,
// are kept in a file (one per thread) of a journal directory, and while a vdso is patched, the
// bytes it had (one file per process): the next ckpt command on the container unmaps the area,
// puts the registers back and the vdso bytes, then thaws it (runtime/dump_recovery).
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
  // The area mapped for the injection; its size is recorded before the mmap, its address
  // (0 until then) once the mmap returned.
  uint64_t scratch = 0, scratch_size = 0;
};

// A descriptor a call makes in a thread's process for ckpt to take (take_made_fd in
// remote_syscall.h), from before that call until its close there returned. In a file of its own
// beside the thread's entry (older builds skip it, and still put the thread back).
// MadeFdEntry::fd until the call returned (its result is then in the thread's registers);
// RemoteSyscall::set_made_fd's "closed".
inline constexpr int64_t kMadeFdUnknown = -1, kNoMadeFd = -2;
struct MadeFdEntry {
  pid_t tid = 0;
  int64_t fd = kMadeFdUnknown;
  uint64_t call = 0;   // the `syscall` the call runs from (a trampoline's)
  char link[48] = {};  // what /proc/PID/fd shows for it
};

// A trampoline written into a process's vdso, and the bytes it replaced.
struct PatchEntry {
  pid_t pid = 0;
  uint64_t address = 0;
  uint32_t size = 0;
  unsigned char original[32] = {};
};

// Called by RemoteSyscall. A thread is recorded by its outermost holder only (a call on a
// thread an Injection already holds saw the injected registers, not the thread's own):
// journal_hold() says whether the caller is that one, and only it updates the entry.
[[nodiscard]] bool journal_hold(const JournalEntry& entry);
void journal_update(const JournalEntry& entry);
void journal_release(pid_t tid);

// Called by RemoteSyscall: before a call that makes a descriptor, once its number is known, and
// once it is closed in the process.
void journal_made_fd(const MadeFdEntry& entry);
void journal_made_fd_closed(pid_t tid);

// Called by VdsoPatch: before the patch is written, and once its bytes are back.
void journal_patched(const PatchEntry& entry);
void journal_unpatched(pid_t pid);

// What a ckpt that was killed left in `dir`.
struct InjectionJournal {
  std::vector<JournalEntry> threads;
  std::vector<PatchEntry> patches;
  std::vector<MadeFdEntry> made_fds;
};
InjectionJournal read_injection_journal(const std::string& dir);
// What a recovery undid, struck from `dir` (so that one killed midway leaves only what is left):
// a thread put back (with its made descriptor), a patch undone.
void remove_thread_entry(const std::string& dir, pid_t tid);
void remove_patch_entry(const std::string& dir, pid_t pid);

}  // namespace ckpt::ptrace
