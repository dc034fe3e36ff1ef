#include "common/audit/scope.h"

#include "common/error.h"

namespace ckpt::audit {

AuditScope scope_of_tree(const records::ProcessTree& tree, const std::map<pid_t, pid_t>& host_pid_of,
                         const std::string& cgroup_path, const std::string& state_dir) {
  AuditScope scope;
  scope.cgroup_path = cgroup_path;
  scope.state_dir = state_dir;
  for (const auto& process : tree.processes) {
    auto host = host_pid_of.find(process.pid);
    if (host == host_pid_of.end()) fail("audit: process {} has no host pid", process.pid);
    scope.ns_pid_of[host->second] = process.pid;
    if (!process.zombie) scope.audited.push_back(host->second);
    if (process.ppid == 0) scope.init_host_pid = host->second;
  }
  if (scope.init_host_pid == 0) fail("audit: the process tree has no init");
  return scope;
}

}  // namespace ckpt::audit
