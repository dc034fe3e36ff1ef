#include "restore/sockets_multicast.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include "common/error.h"
#include "common/group_filter.h"
#include "common/socket_interface.h"

namespace ckpt::restore {

namespace {

// MCAST_MSFILTER with the membership's mode and sources.
void set_filter(int sock, int level, const group_req& join, const records::MulticastMembership& m) {
  auto count = static_cast<uint32_t>(m.sources.size());
  GroupFilter buffer(count);
  group_filter* filter = buffer.get();
  filter->gf_interface = join.gr_interface;
  filter->gf_group = join.gr_group;
  filter->gf_fmode = m.filter_mode;
  filter->gf_numsrc = count;
  for (uint32_t i = 0; i < count; ++i) buffer.set_source(i, sockaddr_of(m.family, m.sources[i]));
  if (::setsockopt(sock, level, MCAST_MSFILTER, filter, buffer.size()) != 0)
    throw_errno("restore: MCAST_MSFILTER of a multicast group on {} ({} sources)", m.interface,
                count);
}

}  // namespace

void join_memberships(int sock, const std::vector<records::MulticastMembership>& memberships) {
  for (const auto& m : memberships) {
    group_req join{};
    join.gr_interface = static_cast<uint32_t>(interface_index(sock, m.interface, "restore: multicast group"));
    join.gr_group = sockaddr_of(m.family, m.group);
    int level = m.family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
    if (::setsockopt(sock, level, MCAST_JOIN_GROUP, &join, sizeof join) != 0)
      throw_errno("restore: join a multicast group on {}", m.interface);
    bool plain = m.filter_mode == MCAST_EXCLUDE && m.sources.empty();
    if (!plain) set_filter(sock, level, join, m);
  }
}

}  // namespace ckpt::restore
