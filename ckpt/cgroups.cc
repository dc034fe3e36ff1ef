#include "ckpt/cgroups.h"

#include <map>

namespace ckpt::dump {

records::CgroupTree collect_cgroups(const cgroup::ContainerCgroup& cgroup,
                                    const records::ProcessTree& tree) {
  std::map<pid_t, int32_t> ns_pid_of;
  for (const auto& p : tree.processes) ns_pid_of[p.host_pid] = p.pid;

  records::CgroupTree out;
  out.dumped_on = cgroup.hierarchies().uses_v1() ? "v1" : "v2";
  for (const auto& sub : cgroup.subtree()) {
    records::CgroupNode node;
    node.path = sub;
    node.limits = cgroup.read_limits(sub);
    for (const auto* h : cgroup.hierarchies().all())
      for (pid_t pid : cgroup.procs_in(*h, sub))
        if (auto it = ns_pid_of.find(pid); it != ns_pid_of.end())
          node.members[h->name()].push_back(it->second);
    out.nodes.push_back(std::move(node));
  }
  return out;
}

}  // namespace ckpt::dump
