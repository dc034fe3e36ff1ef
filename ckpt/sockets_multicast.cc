#include "ckpt/sockets_multicast.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>

#include "common/error.h"
#include "common/fs.h"
#include "common/group_filter.h"
#include "common/proc/igmp.h"
#include "common/socket_interface.h"

namespace ckpt::dump {

namespace {

using proc::JoinedGroup;

// MCAST_MSFILTER of (group, interface) with room for `sources`; false when not a member.
bool query_filter(int sock, const JoinedGroup& g, GroupFilter& buffer, uint32_t sources,
                  const std::string& who) {
  group_filter* filter = buffer.get();
  filter->gf_interface = static_cast<uint32_t>(g.ifindex);
  filter->gf_group = sockaddr_of(g.family, g.group);
  filter->gf_numsrc = sources;
  socklen_t len = buffer.size();
  int level = g.family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
  if (::getsockopt(sock, level, MCAST_MSFILTER, filter, &len) == 0) return true;
  if (errno == EADDRNOTAVAIL) return false;
  throw_errno("{}: getsockopt(MCAST_MSFILTER) of a multicast group on interface {}", who,
              g.ifindex);
}

std::optional<records::MulticastMembership> read_membership(int sock, const JoinedGroup& g,
                                                            const std::string& who) {
  GroupFilter probe(0);
  if (!query_filter(sock, g, probe, 0, who)) return std::nullopt;
  uint32_t count = probe.get()->gf_numsrc;
  GroupFilter full(count);
  if (count != 0 && !query_filter(sock, g, full, count, who)) return std::nullopt;
  GroupFilter& answer = count != 0 ? full : probe;
  const group_filter* filter = answer.get();
  records::MulticastMembership m;
  m.family = g.family;
  m.group = g.group;
  m.interface = interface_name(sock, g.ifindex, who);
  m.filter_mode = filter->gf_fmode;
  for (uint32_t i = 0; i < std::min(count, filter->gf_numsrc); ++i)
    m.sources.push_back(address_bytes(answer.source(i)));
  return m;
}

}  // namespace

std::vector<JoinedGroup> namespace_groups(pid_t pid) {
  std::string net = "/proc/" + std::to_string(pid) + "/net/";
  std::vector<JoinedGroup> groups = proc::parse_igmp(fs::try_read_file(net + "igmp").value_or(""));
  auto six = proc::parse_igmp6(fs::try_read_file(net + "igmp6").value_or(""));
  groups.insert(groups.end(), six.begin(), six.end());
  return groups;
}

std::vector<records::MulticastMembership> read_memberships(
    int sock, const std::vector<JoinedGroup>& groups, const std::string& who) {
  int family = 0;
  socklen_t len = sizeof family;
  if (::getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &family, &len) != 0)
    throw_errno("{}: getsockopt(SO_DOMAIN)", who);
  std::vector<records::MulticastMembership> memberships;
  for (const auto& g : groups) {
    if (g.family == AF_INET6 && family != AF_INET6) continue;
    if (auto m = read_membership(sock, g, who)) memberships.push_back(std::move(*m));
  }
  return memberships;
}

}  // namespace ckpt::dump
