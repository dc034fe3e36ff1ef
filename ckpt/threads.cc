#include "ckpt/threads.h"

#include <sys/syscall.h>

#include <unistd.h>

#include "ckpt/signals.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/ptrace/restart_calls.h"
#include "common/ptrace/tracee.h"

namespace ckpt::dump {

records::ThreadState dump_thread(pid_t host_tid, pid_t ns_tid) {
  records::ThreadState thread;
  thread.tid = ns_tid;
  // A sleeping call an earlier stop of ckpt's turned into restart_syscall gets its number back.
  user_regs_struct regs = ptrace::with_remembered_call(host_tid, ptrace::get_regs(host_tid));
  thread.regs.assign(reinterpret_cast<const char*>(&regs), sizeof regs);
  ptrace::FpuState fpu = ptrace::get_fpu(host_tid);
  thread.xstate = std::move(fpu.bytes);
  thread.fxsave_only = fpu.fxsave_only;
  thread.sigmask = ptrace::get_sigmask(host_tid);
  ptrace::RseqConfig rseq = ptrace::get_rseq(host_tid);
  thread.rseq_addr = rseq.address;
  thread.rseq_size = rseq.size;
  thread.rseq_signature = rseq.signature;
  thread.pending = dump_pending(host_tid, false);
  void* head = nullptr;
  size_t size = 0;
  if (::syscall(SYS_get_robust_list, host_tid, &head, &size) != 0)
    throw_errno("get_robust_list of thread {}", host_tid);
  thread.robust_list = reinterpret_cast<uint64_t>(head);
  thread.robust_list_size = size;
  thread.comm = fs::read_line("/proc/" + std::to_string(host_tid) + "/comm");
  ptrace::SyscallDispatch dispatch = ptrace::get_syscall_dispatch(host_tid);
  if (dispatch.mode != 0)
    thread.syscall_dispatch = {dispatch.mode, dispatch.selector, dispatch.offset, dispatch.len};
  return thread;
}

uint64_t dump_clear_child_tid(ptrace::Injection& injection, ptrace::RemoteSyscall& thread) {
  constexpr int kPrGetTidAddress = 40;
  thread.checked("prctl(PR_GET_TID_ADDRESS)", SYS_prctl, kPrGetTidAddress, injection.scratch());
  uint64_t address = 0;
  injection.read(0, &address, sizeof address);
  return address;
}

}  // namespace ckpt::dump
