// The network namespace's multicast groups as audit facts: "net.multicast DEVICE GROUP" with the
// number of memberships (sockets and the kernel's own), from /proc/thread-self/net/igmp and
// igmp6 (the netns of the calling thread; /proc/net follows the thread group leader's).
#include <arpa/inet.h>

#include "common/audit/collect.h"
#include "common/audit/process_view.h"
#include "common/proc/igmp.h"

namespace ckpt::audit {

namespace {

std::string group_text(const proc::JoinedGroup& g) {
  char text[INET6_ADDRSTRLEN] = {};
  if (!::inet_ntop(g.family, g.group.data(), text, sizeof text)) return "?";
  return text;
}

void add_groups(const std::vector<proc::JoinedGroup>& groups, records::AuditFactMap& facts) {
  for (const auto& g : groups)
    facts["net.multicast " + g.device + " " + group_text(g)] = "users " + std::to_string(g.users);
}

}  // namespace

records::AuditFactMap read_net_multicast_facts() {
  records::AuditFactMap facts;
  const std::string net = "/proc/thread-self/net/";
  add_groups(proc::parse_igmp(read_text_or_empty(net + "igmp")), facts);
  add_groups(proc::parse_igmp6(read_text_or_empty(net + "igmp6")), facts);
  return facts;
}

}  // namespace ckpt::audit
