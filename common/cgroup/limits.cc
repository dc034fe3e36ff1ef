#include "common/cgroup/limits.h"

#include "common/error.h"

namespace ckpt::cgroup {

records::CgroupLimits read_limits(const Hierarchies& hierarchies, const std::string& rel_path) {
  if (hierarchies.uses_v1()) return detail::read_limits_v1(hierarchies, rel_path);
  if (!hierarchies.v2) fail("no cgroup hierarchy is mounted on this host");
  return detail::read_limits_v2(*hierarchies.v2, rel_path);
}

void write_limits(const Hierarchies& hierarchies, const std::string& rel_path,
                  const records::CgroupLimits& limits) {
  if (hierarchies.uses_v1()) return detail::write_limits_v1(hierarchies, rel_path, limits);
  if (!hierarchies.v2) fail("no cgroup hierarchy is mounted on this host");
  detail::write_limits_v2(*hierarchies.v2, rel_path, limits);
}

namespace detail {

int64_t shares_to_weight(int64_t shares) {
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  return 1 + ((shares - 2) * 9999) / 262142;
}

int64_t weight_to_shares(int64_t weight) {
  if (weight <= 1) return 2;
  return 2 + ((weight - 1) * 262142) / 9999;
}

}  // namespace detail

}  // namespace ckpt::cgroup
