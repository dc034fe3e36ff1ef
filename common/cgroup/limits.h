// Reading and writing a cgroup's limits (records::CgroupLimits) in v1 or v2 files.
#pragma once

#include <string>

#include "common/cgroup/hierarchy.h"
#include "common/records/cgroup.h"

namespace ckpt::cgroup {

// Limits of the cgroup at `rel_path` (relative to each hierarchy's mount). Unlimited values and
// files that do not exist read as unset.
records::CgroupLimits read_limits(const Hierarchies& hierarchies, const std::string& rel_path);

// Writes every set field; throws Error naming the file when a limit cannot be applied (for
// example a controller this host lacks).
void write_limits(const Hierarchies& hierarchies, const std::string& rel_path,
                  const records::CgroupLimits& limits);

namespace detail {
records::CgroupLimits read_limits_v1(const Hierarchies& h, const std::string& rel_path);
void write_limits_v1(const Hierarchies& h, const std::string& rel_path,
                     const records::CgroupLimits& limits);
records::CgroupLimits read_limits_v2(const Hierarchy& v2, const std::string& rel_path);
void write_limits_v2(const Hierarchy& v2, const std::string& rel_path,
                     const records::CgroupLimits& limits);
// cpu.shares (v1, 2..262144) <-> cpu.weight (v2, 1..10000), as runc and crun convert them.
int64_t shares_to_weight(int64_t shares);
int64_t weight_to_shares(int64_t weight);
}  // namespace detail

}  // namespace ckpt::cgroup
