// cgroup v2: every limit in the one tree, controllers enabled through cgroup.subtree_control.
#include <sstream>

#include "common/cgroup/cgroup_file.h"
#include "common/cgroup/limits.h"
#include "common/error.h"

namespace ckpt::cgroup::detail {

namespace {

void write_required(const Hierarchy& v2, const std::string& rel_path, const std::string& name,
                    const std::string& value) {
  CgroupFile file(v2.mount / rel_path / name);
  if (!file.exists())
    fail("cannot set {}: {} does not exist (controller not enabled on this host?)", name,
         file.path().string());
  file.write(value);
}

}  // namespace

records::CgroupLimits read_limits_v2(const Hierarchy& v2, const std::string& rel_path) {
  auto dir = v2.mount / rel_path;
  records::CgroupLimits l;
  l.memory_limit = CgroupFile(dir / "memory.max").read_int();
  l.memory_soft_limit = CgroupFile(dir / "memory.low").read_int();
  auto swap = CgroupFile(dir / "memory.swap.max").read_int();
  if (swap && l.memory_limit) l.memory_swap_limit = *swap + *l.memory_limit;
  if (auto cpu_max = CgroupFile(dir / "cpu.max").read()) {
    std::istringstream in(*cpu_max);
    std::string quota;
    int64_t period = 0;
    if (in >> quota >> period) {
      if (quota != "max") l.cpu_quota_us = std::stoll(quota);
      l.cpu_period_us = period;
    }
  }
  if (auto weight = CgroupFile(dir / "cpu.weight").read_int())
    l.cpu_shares = weight_to_shares(*weight);
  l.cpuset_cpus = CgroupFile(dir / "cpuset.cpus").read();
  l.cpuset_mems = CgroupFile(dir / "cpuset.mems").read();
  if (l.cpuset_cpus && l.cpuset_cpus->empty()) l.cpuset_cpus.reset();
  if (l.cpuset_mems && l.cpuset_mems->empty()) l.cpuset_mems.reset();
  l.pids_max = CgroupFile(dir / "pids.max").read_int();
  if (auto io = CgroupFile(dir / "io.weight").read()) {
    std::istringstream in(*io);
    std::string key;
    int64_t weight = 0;
    if (in >> key >> weight && key == "default") l.io_weight = weight;
  }
  return l;
}

void write_limits_v2(const Hierarchy& v2, const std::string& rel_path,
                     const records::CgroupLimits& l) {
  if (l.cpuset_cpus) write_required(v2, rel_path, "cpuset.cpus", *l.cpuset_cpus);
  if (l.cpuset_mems) write_required(v2, rel_path, "cpuset.mems", *l.cpuset_mems);
  if (l.memory_limit) write_required(v2, rel_path, "memory.max", std::to_string(*l.memory_limit));
  if (l.memory_swap_limit && l.memory_limit)
    write_required(v2, rel_path, "memory.swap.max",
                   std::to_string(std::max<int64_t>(0, *l.memory_swap_limit - *l.memory_limit)));
  if (l.memory_soft_limit)
    write_required(v2, rel_path, "memory.low", std::to_string(*l.memory_soft_limit));
  if (l.cpu_quota_us || l.cpu_period_us) {
    std::string quota = l.cpu_quota_us ? std::to_string(*l.cpu_quota_us) : "max";
    write_required(v2, rel_path, "cpu.max",
                   quota + " " + std::to_string(l.cpu_period_us.value_or(100000)));
  }
  if (l.cpu_shares)
    write_required(v2, rel_path, "cpu.weight", std::to_string(shares_to_weight(*l.cpu_shares)));
  if (l.pids_max) write_required(v2, rel_path, "pids.max", std::to_string(*l.pids_max));
  if (l.io_weight)
    write_required(v2, rel_path, "io.weight", "default " + std::to_string(*l.io_weight));
}

}  // namespace ckpt::cgroup::detail
