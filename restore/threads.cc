#include "restore/threads.h"

#include <linux/sched.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "common/error.h"
#include "common/proc/tasks.h"
#include "common/ptrace/tracee.h"
#include "restore/signals.h"

namespace ckpt::restore {
namespace {

std::set<pid_t> task_set(pid_t pid) {
  auto tids = proc::list_threads(pid);
  return {tids.begin(), tids.end()};
}

void restore_thread_common(Restorer& r, ptrace::RemoteSyscall& call, pid_t host_tid,
                           const records::ThreadState& thread) {
  if (thread.rseq_size)
    call.checked("rseq", SYS_rseq, thread.rseq_addr, thread.rseq_size, 0, thread.rseq_signature);
  restore_altstack(r, call, thread.altstack);
  call.checked("set_tid_address", SYS_set_tid_address, thread.clear_child_tid);
  // Always: the main thread still holds the robust list glibc set in the restorer's fork.
  constexpr uint64_t kRobustListHeadSize = 24;  // struct robust_list_head
  call.checked("set_robust_list", SYS_set_robust_list, thread.robust_list,
               thread.robust_list_size ? thread.robust_list_size : kRobustListHeadSize);
  requeue_signals(r, call, thread.tid, thread.pending);
  if (thread.tuning && thread.tuning->tsc_mode == PR_TSC_SIGSEGV)
    call.checked("prctl(PR_SET_TSC)", SYS_prctl, PR_SET_TSC, PR_TSC_SIGSEGV);
  if (thread.tuning && thread.tuning->mce_kill != PR_MCE_KILL_DEFAULT)
    call.checked("prctl(PR_MCE_KILL)", SYS_prctl, PR_MCE_KILL, PR_MCE_KILL_SET,
                 thread.tuning->mce_kill, 0, 0);
  if (!thread.comm.empty())  // a thread starts with the name of the one that made it
    call.checked("prctl(PR_SET_NAME)", SYS_prctl, PR_SET_NAME, r.put_path(thread.comm));
  ptrace::set_fpu(host_tid, {thread.xstate, thread.fxsave_only});
}

}  // namespace

std::vector<pid_t> create_threads(Restorer& r, const records::ThreadsState& threads) {
  std::vector<pid_t> host_tids{r.host_pid()};
  for (size_t i = 1; i < threads.threads.size(); ++i) {
    std::set<pid_t> before = task_set(r.host_pid());
    pid_t tid = threads.threads[i].tid;
    clone_args args{};
    args.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
    args.set_tid = r.scratch() + Restorer::kDataOffset + sizeof args;
    args.set_tid_size = 1;
    r.write(Restorer::kDataOffset, &args, sizeof args);
    r.write(Restorer::kDataOffset + sizeof args, &tid, sizeof tid);
    r.main().checked("clone3 thread", SYS_clone3, r.scratch() + Restorer::kDataOffset, sizeof args);
    pid_t host_tid = 0;
    for (pid_t t : task_set(r.host_pid()))
      if (!before.count(t)) host_tid = t;
    if (!host_tid) fail("process {}: thread {} not found after clone3", r.ns_pid(), tid);
    ptrace::wait_stop(host_tid);  // auto-attached, stopped before it runs
    host_tids.push_back(host_tid);
  }
  return host_tids;
}

void restore_syscall_dispatch(Restorer& r, const records::ThreadsState& threads,
                              const std::vector<pid_t>& host_tids) {
  for (size_t i = 0; i < threads.threads.size() && i < host_tids.size(); ++i) {
    const auto& dispatch = threads.threads[i].syscall_dispatch;
    if (!dispatch) continue;
    try {
      ptrace::set_syscall_dispatch(
          host_tids[i], {dispatch->mode, dispatch->selector, dispatch->offset, dispatch->len});
    } catch (const Error& e) {
      fail("process {} (thread {}): its syscall user dispatch cannot be set again: {}",
           r.ns_pid(), threads.threads[i].tid, e.what());
    }
  }
}

user_regs_struct resume_regs(const records::ThreadState& thread) {
  user_regs_struct regs{};
  if (thread.regs.size() != sizeof regs)
    fail("thread {}: registers of unexpected size", thread.tid);
  std::memcpy(&regs, thread.regs.data(), sizeof regs);
  return ptrace::with_syscall_restarted(regs, false);
}

void restore_secondary_threads(Restorer& r, const records::ThreadsState& threads,
                               const std::vector<pid_t>& host_tids) {
  for (size_t i = 1; i < threads.threads.size(); ++i) {
    auto call = r.on_thread(host_tids[i]);
    restore_thread_common(r, *call, host_tids[i], threads.threads[i]);
    call->finish(resume_regs(threads.threads[i]), threads.threads[i].sigmask);
  }
}

void restore_main_thread(Restorer& r, const records::ThreadState& thread) {
  restore_thread_common(r, r.main(), r.host_pid(), thread);
}

}  // namespace ckpt::restore
