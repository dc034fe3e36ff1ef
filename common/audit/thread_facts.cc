// Facts each thread has of its own: credentials, capabilities, seccomp, signal mask and
// pending signals, affinity, scheduling, I/O priority, timer slack, name.
#include <sys/ptrace.h>

#include <set>

#include "common/audit/process_view.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/proc/key_value.h"
#include "common/proc/tasks.h"
#include "common/task_tuning.h"

namespace ckpt::audit {

namespace {

// The signal mask the thread goes back to: what PTRACE_GETSIGMASK tells its tracer (us, at dump
// and before the restored copy resumes), which /proc does not show of a thread inside
// sigsuspend, ppoll, pselect or epoll_pwait (those show their temporary mask, a restored thread
// takes again only once it runs). The status line when we do not trace it.
std::string blocked_signals(pid_t host_tid, const std::string& status_line) {
  uint64_t mask = 0;
  if (::ptrace(PTRACE_GETSIGMASK, host_tid, sizeof mask, &mask) != 0) return status_line;
  return fmt::format("{:016x}", mask);
}

// The thread's I/O priority, or "unreadable: <error>" (a fact too).
std::string io_priority_fact(pid_t host_tid) {
  try {
    return std::to_string(read_io_priority(host_tid));
  } catch (const Error& e) {
    return std::string("unreadable: ") + e.what();
  }
}

const std::set<std::string> kThreadStatus = {
    "Uid",     "Gid",     "Groups",  "CapInh",  "CapPrm",  "CapEff",
    "CapBnd",  "CapAmb",  "NoNewPrivs", "Seccomp", "Seccomp_filters", "SigPnd",
    "SigBlk",  "Cpus_allowed_list", "Mems_allowed_list", "Speculation_Store_Bypass",
    "SpeculationIndirectBranch", "x86_Thread_features", "x86_Thread_features_locked"};

void add_thread(const ProcessView& p, pid_t host_tid, records::AuditFactMap& facts) {
  std::string dir = p.path("task/" + std::to_string(host_tid) + "/");
  records::AuditFactMap mine;
  std::string tid = std::to_string(host_tid);
  for (const auto& [key, value] : proc::key_value_lines(read_text_or_empty(dir + "status"))) {
    if (kThreadStatus.count(key)) mine["status." + key] = squeeze_blanks(value);
    if (key == "NSpid") tid = value.substr(value.find_last_of(" \t") + 1);
  }
  if (mine.count("status.SigPnd"))
    mine["status.SigPnd"] = pending_without_timer_signals(mine["status.SigPnd"]);
  if (mine.count("status.SigBlk"))
    mine["status.SigBlk"] = blocked_signals(host_tid, mine["status.SigBlk"]);
  mine["comm"] = read_line_fact(dir + "comm");
  mine["ioprio"] = io_priority_fact(host_tid);
  mine["timerslack_ns"] = read_line_fact("/proc/" + std::to_string(host_tid) + "/timerslack_ns");
  auto stat = stat_fields_after_comm(read_text_or_empty(dir + "stat"));
  mine["stat.priority"] = stat_field(stat, 18);
  mine["stat.nice"] = stat_field(stat, 19);
  mine["stat.rt_priority"] = stat_field(stat, 40);
  mine["stat.policy"] = stat_field(stat, 41);
  for (auto& [key, value] : mine) facts["thread " + tid + " " + key] = std::move(value);
}

}  // namespace

void add_thread_facts(const ProcessView& p, records::AuditFactMap& facts) {
  for (pid_t tid : proc::list_threads(p.host_pid)) add_thread(p, tid, facts);
}

}  // namespace ckpt::audit
