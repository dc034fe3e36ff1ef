// Facts each thread has of its own: credentials, capabilities, seccomp, signal mask and
// pending signals, affinity, scheduling.
#include <set>

#include "common/audit/process_view.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/proc/key_value.h"
#include "common/proc/tasks.h"

namespace ckpt::audit {

namespace {

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
  mine["comm"] = read_line_fact(dir + "comm");
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
