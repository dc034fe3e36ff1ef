// The audit's comparison: the facts of the original container (taken at dump time) against
// those of its restored copy, every difference by name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/records/audit.h"

namespace ckpt::audit {

inline constexpr const char* kAbsent = "(none)";

struct AuditDifference {
  int32_t pid = 0;       // in the container; 0: a namespace-wide fact
  std::string name;      // "stat.nice", "fd 3 flags", "process" (a whole process missing) ...
  std::string original;  // kAbsent when only the restored copy has it
  std::string restored;  // kAbsent when the restored copy lacks it

  bool operator==(const AuditDifference&) const = default;
};

// Every fact that differs, by pid then name. A fact whose name contains one of `ignore` is
// skipped ("stat.nice" skips "thread 7 stat.nice" of every thread).
std::vector<AuditDifference> compare_audit(const records::AuditFacts& original,
                                           const records::AuditFacts& restored,
                                           const std::vector<std::string>& ignore = {});

// "pid 7: thread 7 stat.nice: original 10, restored 0"; "netns: net.ipv4.ip_forward: ...".
std::string describe(const AuditDifference& difference);

}  // namespace ckpt::audit
