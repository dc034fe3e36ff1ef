#include "ckpt/list.h"

#include "common/cgroup/cgroup_file.h"
#include "common/cgroup/freezer.h"
#include "common/container_state.h"

namespace ckpt::runtime {

namespace {

uint64_t memory_usage(const cgroup::ContainerCgroup& cgroup) {
  const auto& h = cgroup.hierarchies();
  const cgroup::Hierarchy* mem = h.find("memory");
  if (!mem) return 0;
  const char* file = mem->v2 ? "memory.current" : "memory.usage_in_bytes";
  return static_cast<uint64_t>(cgroup::CgroupFile(cgroup.dir(*mem) / file).read_int().value_or(0));
}

ContainerInfo describe(const ContainerState& state) {
  ContainerInfo info;
  info.id = state.id;
  info.init_pid = state.init_pid;
  info.restored_from = state.restored_from;
  cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), state.cgroup_path);
  if (!cgroup.exists()) {
    info.state = "stopped";
    return info;
  }
  info.processes = cgroup.all_procs().size();
  info.memory_bytes = memory_usage(cgroup);
  if (info.processes == 0)
    info.state = "stopped";
  else
    info.state = std::string(to_string(cgroup::container_freezer(cgroup)->state()));
  return info;
}

}  // namespace

std::vector<ContainerInfo> list_containers() {
  std::vector<ContainerInfo> out;
  for (const auto& id : ContainerState::list_ids()) {
    try {
      out.push_back(describe(ContainerState::load(id)));
    } catch (const std::exception& e) {
      spdlog::warn("container {}: {}", id, e.what());
    }
  }
  return out;
}

}  // namespace ckpt::runtime
