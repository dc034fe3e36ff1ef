#include "common/ptrace/restart_calls.h"

#include <sys/syscall.h>

#include <map>
#include <mutex>

namespace ckpt::ptrace {

namespace {

constexpr long kErestartRestartBlock = 516;

std::mutex mutex;
std::map<pid_t, user_regs_struct> remembered;  // by tid: the registers of the interrupted call

bool interrupted(const user_regs_struct& regs) {
  return static_cast<long>(regs.orig_rax) >= 0 &&
         static_cast<long>(regs.rax) == -kErestartRestartBlock;
}

bool same_call_site(const user_regs_struct& a, const user_regs_struct& b) {
  return a.rip == b.rip && a.rdi == b.rdi && a.rsi == b.rsi && a.rdx == b.rdx && a.r10 == b.r10 &&
         a.r8 == b.r8 && a.r9 == b.r9;
}

}  // namespace

// Kept when the thread is seen elsewhere since (a nested hold sees injected registers): an
// entry is used only for the very call site and arguments it was taken at.
void remember_interrupted_call(pid_t tid, const user_regs_struct& regs) {
  if (!interrupted(regs) || static_cast<long>(regs.orig_rax) == SYS_restart_syscall) return;
  std::lock_guard lock(mutex);
  remembered[tid] = regs;
}

user_regs_struct with_remembered_call(pid_t tid, user_regs_struct regs) {
  if (!interrupted(regs) || static_cast<long>(regs.orig_rax) != SYS_restart_syscall) return regs;
  std::lock_guard lock(mutex);
  auto it = remembered.find(tid);
  if (it != remembered.end() && same_call_site(it->second, regs)) regs.orig_rax = it->second.orig_rax;
  return regs;
}

}  // namespace ckpt::ptrace
