#include "common/ptrace/remote_syscall.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "common/log.h"
#include "common/proc/maps.h"
#include "common/proc/pidfd.h"
#include "common/ptrace/remote_memory.h"
#include "common/ptrace/restart_calls.h"
#include "common/ptrace/tracee.h"

namespace ckpt::ptrace {

RemoteSyscall::RemoteSyscall(pid_t tid, uint64_t syscall_insn) : tid_(tid), insn_(syscall_insn) {
  saved_ = get_regs(tid);
  remember_interrupted_call(tid, saved_);
  saved_mask_ = get_sigmask(tid);
  journal_ = {tid, with_syscall_restarted(saved_, true), saved_mask_};
  journaled_ = journal_hold(journal_);
  try {
    set_sigmask(tid, ~0ull);
  } catch (...) {
    journal_release(tid);
    throw;
  }
}

void RemoteSyscall::set_scratch(uint64_t address, uint64_t size) {
  journal_.scratch = address;
  journal_.scratch_size = size;
  if (journaled_) journal_update(journal_);
}

void RemoteSyscall::set_made_fd(int64_t fd, std::string_view link) {
  if (!journaled_) return;
  if (fd == kNoMadeFd) {
    journal_made_fd_closed(tid_);
    return;
  }
  MadeFdEntry made{tid_, fd, insn_};
  link.copy(made.link, std::min(link.size(), sizeof made.link - 1));
  journal_made_fd(made);
}

RemoteSyscall::~RemoteSyscall() {
  if (done_) return;
  try {
    set_regs(tid_, with_syscall_restarted(saved_, true));
    set_sigmask(tid_, saved_mask_);
  } catch (const Error& e) {
    spdlog::warn("cannot put back the registers of {}: {}", tid_, e.what());
  }
  journal_release(tid_);
}

void RemoteSyscall::finish(const user_regs_struct& regs, uint64_t sigmask) {
  set_regs(tid_, regs);
  set_sigmask(tid_, sigmask);
  done_ = true;
  journal_release(tid_);
}

long RemoteSyscall::call(long nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
                         uint64_t a6) {
  user_regs_struct regs = saved_;
  regs.rip = insn_;
  regs.rax = nr;
  regs.orig_rax = static_cast<uint64_t>(-1);  // no syscall restart on the way out of this stop
  regs.rdi = a1;
  regs.rsi = a2;
  regs.rdx = a3;
  regs.r10 = a4;
  regs.r8 = a5;
  regs.r9 = a6;
  set_regs(tid_, regs);
  run_to_syscall_exit();
  return static_cast<long>(get_regs(tid_).rax);
}

long RemoteSyscall::checked(const char* what, long nr, uint64_t a1, uint64_t a2, uint64_t a3,
                            uint64_t a4, uint64_t a5, uint64_t a6) {
  long ret = call(nr, a1, a2, a3, a4, a5, a6);
  if (ret < 0 && ret > -4096) {
    errno = static_cast<int>(-ret);
    throw_errno("{} in {}", what, tid_);
  }
  return ret;
}

// Entry stop, then exit stop; event stops (clone) and stray stop signals on the way are passed.
void RemoteSyscall::run_to_syscall_exit() {
  int syscall_stops = 0;
  resume(tid_, true);
  while (syscall_stops < 2) {
    int status = wait_stop(tid_);
    if (is_syscall_stop(status)) {
      if (++syscall_stops == 2) break;
    } else if (event_of(status) == 0 && WSTOPSIG(status) != SIGSTOP &&
               WSTOPSIG(status) != SIGTRAP) {
      fail("thread {} got signal {} during an injected system call", tid_, WSTOPSIG(status));
    }
    resume(tid_, true);
  }
}

uint64_t find_syscall_insn(pid_t pid, uint64_t start, uint64_t end) {
  std::string code(end - start, '\0');
  read_memory(pid, start, code.data(), code.size());
  for (size_t i = 0; i + 1 < code.size(); ++i)
    if (code[i] == '\x0f' && code[i + 1] == '\x05') return start + i;
  fail("no syscall instruction in {:#x}-{:#x} of {}", start, end, pid);
}

uint64_t vdso_syscall_insn(pid_t pid) {
  for (const auto& map : proc::read_maps(pid))
    if (map.name == "[vdso]") return find_syscall_insn(pid, map.start, map.end);
  fail("process {} has no [vdso] to run system calls from", pid);
}

UniqueFd take_made_fd(RemoteSyscall& sys, pid_t pid, std::string_view link, long nr,
                      uint64_t flags, int& error) {
  sys.set_made_fd(kMadeFdUnknown, link);
  long fd = sys.call(nr, flags);
  if (fd < 0) {
    sys.set_made_fd(kNoMadeFd);
    error = static_cast<int>(-fd);
    return {};
  }
  sys.set_made_fd(fd, link);
  UniqueFd ours;
  try {
    ours = proc::take_fd(pid, static_cast<int>(fd));
  } catch (...) {
    (void)sys.call(SYS_close, static_cast<uint64_t>(fd));
    sys.set_made_fd(kNoMadeFd);
    throw;
  }
  sys.checked("close the fd taken", SYS_close, static_cast<uint64_t>(fd));
  sys.set_made_fd(kNoMadeFd);
  return ours;
}

}  // namespace ckpt::ptrace
