#include "ckpt/audit.h"

#include <chrono>

#include "common/audit/collect.h"
#include "common/audit/scope.h"
#include "common/clock.h"

namespace ckpt::dump {

SmapsBefore read_smaps_before_freeze(const std::vector<pid_t>& pids) {
  return audit::read_smaps_before(pids);
}

void write_audit(const records::ProcessTree& tree, const ContainerState& state,
                 SmapsBefore smaps_before, const records::NetNamespace& net,
                 const proc::FdinfoTexts& fdinfo_before, image::ImageWriter& image) {
  auto start = std::chrono::steady_clock::now();
  std::map<pid_t, pid_t> host_pid_of;
  for (const auto& process : tree.processes) host_pid_of[process.pid] = process.host_pid;
  auto scope = audit::scope_of_tree(tree, host_pid_of, state.cgroup_path, state.dir().string());
  scope.smaps_before = std::move(smaps_before);
  scope.net_sysctls = net.sysctls;
  scope.fdinfo_before = fdinfo_before;
  auto facts = audit::collect_audit(scope);
  image.put(image::SectionType::kAudit, 0, facts);
  spdlog::info("audit facts of {} processes taken in {:.1f} ms", facts.processes.size(),
               ms_since(start));
}

}  // namespace ckpt::dump
