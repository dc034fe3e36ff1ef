#include "common/audit/compare.h"

#include <fmt/format.h>

#include <algorithm>

namespace ckpt::audit {

namespace {

bool ignored(const std::string& name, const std::vector<std::string>& ignore) {
  return std::any_of(ignore.begin(), ignore.end(), [&](const std::string& part) {
    return !part.empty() && name.find(part) != std::string::npos;
  });
}

void compare_facts(int32_t pid, const records::AuditFactMap& original,
                   const records::AuditFactMap& restored, const std::vector<std::string>& ignore,
                   std::vector<AuditDifference>& out) {
  auto o = original.begin();
  auto r = restored.begin();
  while (o != original.end() || r != restored.end()) {
    if (r == restored.end() || (o != original.end() && o->first < r->first)) {
      if (!ignored(o->first, ignore)) out.push_back({pid, o->first, o->second, kAbsent});
      ++o;
    } else if (o == original.end() || r->first < o->first) {
      if (!ignored(r->first, ignore)) out.push_back({pid, r->first, kAbsent, r->second});
      ++r;
    } else {
      if (o->second != r->second && !ignored(o->first, ignore))
        out.push_back({pid, o->first, o->second, r->second});
      ++o;
      ++r;
    }
  }
}

std::string comm_of(const records::AuditFactMap& facts) {
  auto it = facts.find("comm");
  return it == facts.end() ? "?" : it->second;
}

}  // namespace

std::vector<AuditDifference> compare_audit(const records::AuditFacts& original,
                                           const records::AuditFacts& restored,
                                           const std::vector<std::string>& ignore) {
  std::vector<AuditDifference> out;
  std::vector<std::string> container_ignore = ignore;
  if (!original.multicast_groups) container_ignore.push_back("net.multicast ");
  compare_facts(0, original.container, restored.container, container_ignore, out);
  for (const auto& [pid, facts] : original.processes) {
    auto copy = restored.processes.find(pid);
    if (copy == restored.processes.end()) {
      if (!ignored("process", ignore)) out.push_back({pid, "process", comm_of(facts), kAbsent});
    } else {
      compare_facts(pid, facts, copy->second, ignore, out);
    }
  }
  for (const auto& [pid, facts] : restored.processes)
    if (!original.processes.count(pid) && !ignored("process", ignore))
      out.push_back({pid, "process", kAbsent, comm_of(facts)});
  return out;
}

std::string describe(const AuditDifference& d) {
  std::string who = d.pid == 0 ? "container" : fmt::format("pid {}", d.pid);
  return fmt::format("{}: {}: original {}, restored {}", who, d.name,
                     d.original.empty() ? "''" : d.original, d.restored.empty() ? "''" : d.restored);
}

}  // namespace ckpt::audit
