// The network namespace's sysctls as audit facts, "net.ipv4.ip_forward" = "1": the values
// common/proc/net_sysctls reads (the image keeps the same), blanks squeezed.
#include <algorithm>

#include "common/audit/collect.h"
#include "common/audit/normalize.h"

namespace ckpt::audit {

records::AuditFactMap net_sysctl_facts(const std::vector<records::NetSysctl>& sysctls) {
  records::AuditFactMap facts;
  for (const auto& s : sysctls) {
    std::string name = "net." + s.path;
    std::replace(name.begin() + 4, name.end(), '/', '.');
    facts[name] = squeeze_blanks(s.value);
  }
  return facts;
}

}  // namespace ckpt::audit
