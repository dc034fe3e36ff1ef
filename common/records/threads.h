// The threads of one process: registers and per-thread signal state.
#pragma once

#include "common/records/fields.h"
#include "common/records/mempolicy.h"
#include "common/records/process.h"

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ckpt::records {

struct AltStack {
  uint64_t sp = 0;
  int32_t flags = 0;
  uint64_t size = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, sp, flags, size);
  }
};

// sched_getattr(2) of a thread: policy, nice, realtime priority, deadline parameters.
struct Sched {
  uint32_t policy = 0;
  uint64_t flags = 0;  // SCHED_FLAG_RESET_ON_FORK
  int32_t nice = 0;
  uint32_t priority = 0;
  uint64_t runtime = 0, deadline = 0, period = 0;
  // SCHED_IDLE: the nice its priority was set with, which the thread's nice (kept apart) need
  // not be (version 2).
  int32_t idle_nice = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, policy, flags, nice, priority, runtime, deadline, period);
    if (version >= 2)
      fields(ar, idle_nice);
    else
      idle_nice = nice;
  }
};

// What else the kernel keeps of a thread's placement and timing (ThreadState version 5).
struct TaskTuning {
  // sched_getaffinity(2) mask, 64 CPUs a word; empty: every CPU its cpuset allows (so it keeps
  // following the cpuset, also on a host with other CPUs).
  std::vector<uint64_t> cpu_affinity;
  int32_t io_priority = 0;      // ioprio_get(IOPRIO_WHO_PROCESS) of the thread
  uint64_t timer_slack_ns = 0;  // /proc/TID/timerslack_ns; 0 under a realtime policy
  int32_t tsc_mode = 0;         // prctl(PR_GET_TSC): PR_TSC_ENABLE or PR_TSC_SIGSEGV; 0: not read
  // prctl(PR_MCE_KILL_GET): the machine-check memory error policy, PR_MCE_KILL_EARLY (1) or
  // _LATE (0), or PR_MCE_KILL_DEFAULT (2, the system's). Version 2.
  int32_t mce_kill = 2;

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, cpu_affinity, io_priority, timer_slack_ns, tsc_mode);
    if (version >= 2) fields(ar, mce_kill);
  }
};

// Syscall user dispatch of a thread as PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG shows it
// (common/ptrace/tracee.h SyscallDispatch: an inclusive range kept inverted), set again last.
struct SyscallDispatch {
  uint64_t mode = 0, selector = 0, offset = 0, len = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, mode, selector, offset, len);
  }
};

struct ThreadState {
  int32_t tid = 0;     // inside the container
  std::string regs;    // struct user_regs_struct as the stop found it (syscall not restarted)
  std::string xstate;  // NT_X86_XSTATE, or NT_PRFPREG when fxsave_only
  bool fxsave_only = false;
  uint64_t sigmask = 0;  // blocked signals
  uint64_t rseq_addr = 0;
  uint32_t rseq_size = 0;
  uint32_t rseq_signature = 0;
  AltStack altstack;
  std::vector<std::string> pending;  // siginfo_t of each signal queued to this thread
  uint64_t clear_child_tid = 0;      // set_tid_address(2): zeroed and woken at thread exit
  std::optional<Sched> sched;        // version 2
  uint64_t robust_list = 0;          // set_robust_list(2) head (version 3), 0: none
  uint64_t robust_list_size = 0;
  std::string comm;                  // the thread's name (version 4), "": not read
  std::optional<TaskTuning> tuning;  // version 5
  // Version 6: the thread's credentials when they differ from its process's (a raw setresuid,
  // capset or setgroups changes the calling thread only), its set_mempolicy(2) (none:
  // MPOL_DEFAULT) and its syscall user dispatch (none: off).
  std::optional<Creds> own_creds;
  std::optional<MemPolicy> mempolicy;
  std::optional<SyscallDispatch> syscall_dispatch;

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, tid, regs, xstate, fxsave_only, sigmask, rseq_addr, rseq_size, rseq_signature, altstack, pending, clear_child_tid);
    if (version >= 2) fields(ar, sched);
    if (version >= 3) fields(ar, robust_list, robust_list_size);
    if (version >= 4) fields(ar, comm);
    if (version >= 5) fields(ar, tuning);
    if (version >= 6) fields(ar, own_creds, mempolicy, syscall_dispatch);
  }
};

struct ThreadsState {
  std::vector<ThreadState> threads;  // the main thread first

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, threads);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::AltStack, 1)
BOOST_CLASS_VERSION(ckpt::records::Sched, 2)
BOOST_CLASS_VERSION(ckpt::records::TaskTuning, 2)
BOOST_CLASS_VERSION(ckpt::records::SyscallDispatch, 1)
BOOST_CLASS_VERSION(ckpt::records::ThreadState, 6)
BOOST_CLASS_VERSION(ckpt::records::ThreadsState, 1)
