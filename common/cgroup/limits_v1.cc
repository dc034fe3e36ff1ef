// cgroup v1: each limit lives in its controller's hierarchy.
#include <functional>

#include "common/cgroup/cgroup_file.h"
#include "common/cgroup/limits.h"
#include "common/error.h"

namespace ckpt::cgroup::detail {

namespace {

// The file `name` of `controller` for the cgroup at rel_path; nullopt when the controller is not
// mounted.
std::optional<CgroupFile> v1_file(const Hierarchies& h, const std::string& controller,
                                  const std::string& rel_path, const std::string& name) {
  const Hierarchy* hier = h.find(controller);
  if (!hier || hier->v2) return std::nullopt;
  return CgroupFile(hier->mount / rel_path / name);
}

std::optional<int64_t> read_int(const Hierarchies& h, const std::string& controller,
                                const std::string& rel_path, const std::string& name,
                                int64_t unlimited_from = INT64_MAX) {
  auto file = v1_file(h, controller, rel_path, name);
  return file ? file->read_int(unlimited_from) : std::nullopt;
}

std::optional<std::string> read_str(const Hierarchies& h, const std::string& controller,
                                    const std::string& rel_path, const std::string& name) {
  auto file = v1_file(h, controller, rel_path, name);
  return file ? file->read() : std::nullopt;
}

// Writes `value` when set; a set value whose file is missing is an error naming the file.
template <typename T>
void write_if_set(const Hierarchies& h, const std::string& controller, const std::string& rel_path,
                  const std::string& name, const std::optional<T>& value) {
  if (!value) return;
  auto file = v1_file(h, controller, rel_path, name);
  if (!file) fail("cannot set {}: the {} cgroup controller is not mounted", name, controller);
  if (!file->exists()) fail("cannot set {}: {} does not exist", name, file->path().string());
  if constexpr (std::is_same_v<T, std::string>)
    file->write(*value);
  else
    file->write(std::to_string(*value));
}

}  // namespace

records::CgroupLimits read_limits_v1(const Hierarchies& h, const std::string& rel_path) {
  records::CgroupLimits l;
  l.memory_limit = read_int(h, "memory", rel_path, "memory.limit_in_bytes", kV1MemoryUnlimited);
  l.memory_soft_limit =
      read_int(h, "memory", rel_path, "memory.soft_limit_in_bytes", kV1MemoryUnlimited);
  l.memory_swap_limit =
      read_int(h, "memory", rel_path, "memory.memsw.limit_in_bytes", kV1MemoryUnlimited);
  l.memory_swappiness = read_int(h, "memory", rel_path, "memory.swappiness");
  l.cpu_shares = read_int(h, "cpu", rel_path, "cpu.shares");
  l.cpu_quota_us = read_int(h, "cpu", rel_path, "cpu.cfs_quota_us");
  if (l.cpu_quota_us && *l.cpu_quota_us < 0) l.cpu_quota_us.reset();
  l.cpu_period_us = read_int(h, "cpu", rel_path, "cpu.cfs_period_us");
  l.cpu_rt_runtime_us = read_int(h, "cpu", rel_path, "cpu.rt_runtime_us");
  if (l.cpu_rt_runtime_us == 0) l.cpu_rt_runtime_us.reset();
  l.cpuset_cpus = read_str(h, "cpuset", rel_path, "cpuset.cpus");
  l.cpuset_mems = read_str(h, "cpuset", rel_path, "cpuset.mems");
  l.pids_max = read_int(h, "pids", rel_path, "pids.max");
  l.io_weight = read_int(h, "blkio", rel_path, "blkio.weight");
  if (!l.io_weight) l.io_weight = read_int(h, "blkio", rel_path, "blkio.bfq.weight");
  return l;
}

void write_limits_v1(const Hierarchies& h, const std::string& rel_path,
                     const records::CgroupLimits& l) {
  // cpuset first: a v1 cpuset cgroup takes no task before it has cpus and mems.
  write_if_set(h, "cpuset", rel_path, "cpuset.cpus", l.cpuset_cpus);
  write_if_set(h, "cpuset", rel_path, "cpuset.mems", l.cpuset_mems);
  // memory.limit before memsw: memsw may never be below the memory limit.
  write_if_set(h, "memory", rel_path, "memory.limit_in_bytes", l.memory_limit);
  write_if_set(h, "memory", rel_path, "memory.memsw.limit_in_bytes", l.memory_swap_limit);
  write_if_set(h, "memory", rel_path, "memory.soft_limit_in_bytes", l.memory_soft_limit);
  write_if_set(h, "memory", rel_path, "memory.swappiness", l.memory_swappiness);
  write_if_set(h, "cpu", rel_path, "cpu.cfs_period_us", l.cpu_period_us);
  write_if_set(h, "cpu", rel_path, "cpu.cfs_quota_us", l.cpu_quota_us);
  write_if_set(h, "cpu", rel_path, "cpu.shares", l.cpu_shares);
  // Before any task: a realtime thread is refused in a cgroup without runtime.
  write_if_set(h, "cpu", rel_path, "cpu.rt_runtime_us", l.cpu_rt_runtime_us);
  write_if_set(h, "pids", rel_path, "pids.max", l.pids_max);
  if (l.io_weight) {
    auto weight = v1_file(h, "blkio", rel_path, "blkio.weight");
    const char* name = weight && weight->exists() ? "blkio.weight" : "blkio.bfq.weight";
    write_if_set(h, "blkio", rel_path, name, l.io_weight);
  }
}

}  // namespace ckpt::cgroup::detail
