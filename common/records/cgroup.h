// Cgroup limits, normalized across cgroup v1 and v2 so an image dumped on one restores on the
// other. An unset field means "not set / not available": restore leaves the default.
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ckpt::records {

struct CgroupLimits {
  std::optional<int64_t> memory_limit;       // bytes; v1 memory.limit_in_bytes, v2 memory.max
  std::optional<int64_t> memory_soft_limit;  // v1 memory.soft_limit_in_bytes, v2 memory.low
  std::optional<int64_t> memory_swap_limit;  // memory+swap (v1 memsw); v2 memory.swap.max + max
  std::optional<int64_t> memory_swappiness;  // v1 only
  std::optional<int64_t> cpu_shares;         // v1 cpu.shares; v2 cpu.weight converted
  std::optional<int64_t> cpu_quota_us;       // -1 = unlimited
  std::optional<int64_t> cpu_period_us;
  std::optional<std::string> cpuset_cpus;
  std::optional<std::string> cpuset_mems;
  std::optional<int64_t> pids_max;   // -1 = "max"
  std::optional<int64_t> io_weight;  // v1 blkio.weight / blkio.bfq.weight, v2 io.weight
  // v1 cpu.rt_runtime_us when not 0 (a new cgroup's: no realtime thread may run in it)
  std::optional<int64_t> cpu_rt_runtime_us;

  bool operator==(const CgroupLimits&) const = default;

  // Calls f(name, field) for every field, in declaration order (JSON, text output).
  template <class Self, class F>
  static void visit(Self& self, F&& f) {
    f("memory_limit", self.memory_limit);
    f("memory_soft_limit", self.memory_soft_limit);
    f("memory_swap_limit", self.memory_swap_limit);
    f("memory_swappiness", self.memory_swappiness);
    f("cpu_shares", self.cpu_shares);
    f("cpu_quota_us", self.cpu_quota_us);
    f("cpu_period_us", self.cpu_period_us);
    f("cpuset_cpus", self.cpuset_cpus);
    f("cpuset_mems", self.cpuset_mems);
    f("pids_max", self.pids_max);
    f("io_weight", self.io_weight);
    f("cpu_rt_runtime_us", self.cpu_rt_runtime_us);
  }

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, memory_limit, memory_soft_limit, memory_swap_limit, memory_swappiness, cpu_shares,
           cpu_quota_us, cpu_period_us, cpuset_cpus, cpuset_mems, pids_max, io_weight);
    if (version >= 2) fields(ar, cpu_rt_runtime_us);
  }
};

// One cgroup of the container's subtree.
struct CgroupNode {
  std::string path;  // relative to the container's cgroup; "" is the container's own
  CgroupLimits limits;
  // Member processes by hierarchy name ("memory", "cpu,cpuacct", "unified"), as pids inside
  // the container.
  std::map<std::string, std::vector<int32_t>> members;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, path, limits, members);
  }
};

struct CgroupTree {
  std::string dumped_on;          // "v1" or "v2"
  std::vector<CgroupNode> nodes;  // parents before children

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, dumped_on, nodes);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::CgroupLimits, 2)
BOOST_CLASS_VERSION(ckpt::records::CgroupNode, 1)
BOOST_CLASS_VERSION(ckpt::records::CgroupTree, 1)
