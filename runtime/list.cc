#include "runtime/list.h"

#include "common/cgroup/cgroup_file.h"
#include "common/cgroup/freezer.h"
#include "common/container_lock.h"
#include "common/container_state.h"
#include "common/dump_marks.h"
#include "common/error.h"
#include "common/ns/interfaces.h"

namespace ckpt::runtime {

namespace {

uint64_t memory_usage(const cgroup::ContainerCgroup& cgroup) {
  const auto& h = cgroup.hierarchies();
  const cgroup::Hierarchy* mem = h.find("memory");
  if (!mem) return 0;
  const char* file = mem->v2 ? "memory.current" : "memory.usage_in_bytes";
  return static_cast<uint64_t>(cgroup::CgroupFile(cgroup.dir(*mem) / file).read_int().value_or(0));
}

// Addresses of the container's interfaces (but lo), read inside its network namespace.
std::vector<InterfaceAddress> addresses_of(pid_t init_pid) {
  std::vector<InterfaceAddress> addresses;
  for (const auto& i : ns::interfaces_of(init_pid))
    for (const auto& a : i.addresses) addresses.push_back({i.name, a.family, a.address, a.prefix});
  return addresses;
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
  // setns into a frozen container's netns works; the helper does not enter its cgroup.
  if (info.processes > 0 && state.init_alive()) info.addresses = addresses_of(state.init_pid);
  return info;
}

// A dump of `id` that was killed left it frozen or a thread mid-injection: taking the lock (when
// nobody holds it) undoes that (runtime/dump_recovery), so that `list` shows it as it is.
void undo_killed_dump(const std::string& id) {
  std::error_code ec;
  if (!std::filesystem::exists(recovery_dir(id), ec)) return;
  try {
    ContainerLock lock(id, "list");
  } catch (const Error&) {
    // busy: the dump is still alive
  }
}

}  // namespace

uint64_t container_memory_bytes(const std::string& id) {
  try {
    auto state = ContainerState::load(id);
    return memory_usage(cgroup::ContainerCgroup(cgroup::host_hierarchies(), state.cgroup_path));
  } catch (const Error&) {
    return 0;  // the verb itself says what is wrong
  }
}

std::vector<ContainerInfo> list_containers() {
  std::vector<ContainerInfo> out;
  for (const auto& id : ContainerState::list_ids()) {
    try {
      undo_killed_dump(id);
      out.push_back(describe(ContainerState::load(id)));
    } catch (const std::exception& e) {
      spdlog::warn("container {}: {}", id, e.what());
    }
  }
  return out;
}

}  // namespace ckpt::runtime
