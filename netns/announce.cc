#include "netns/announce.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "netns/ns_thread.h"

namespace ckpt::netns {

namespace {

using Mac = std::array<uint8_t, ETH_ALEN>;

// A link that is up, with its MAC and the addresses to announce on it.
struct Announced {
  unsigned index = 0;
  Mac mac{};
  std::vector<in_addr> v4;
  std::vector<in6_addr> v6;
};

std::map<std::string, Announced> links_to_announce() {
  ifaddrs* all = nullptr;
  if (::getifaddrs(&all) != 0) throw_errno("getifaddrs");
  std::map<std::string, Announced> links;
  for (const ifaddrs* a = all; a; a = a->ifa_next) {
    if (!a->ifa_addr || (a->ifa_flags & IFF_LOOPBACK) || !(a->ifa_flags & IFF_UP)) continue;
    Announced& link = links[a->ifa_name];
    if (a->ifa_addr->sa_family == AF_PACKET) {
      const auto* ll = reinterpret_cast<const sockaddr_ll*>(a->ifa_addr);
      if (ll->sll_halen != ETH_ALEN || ll->sll_hatype != ARPHRD_ETHER) continue;  // e.g. tun
      link.index = static_cast<unsigned>(ll->sll_ifindex);
      std::memcpy(link.mac.data(), ll->sll_addr, ETH_ALEN);
    } else if (a->ifa_addr->sa_family == AF_INET) {
      link.v4.push_back(reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const in6_addr& address = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr;
      if (!IN6_IS_ADDR_LINKLOCAL(&address)) link.v6.push_back(address);
    }
  }
  ::freeifaddrs(all);
  return links;
}

// A gratuitous ARP request: sender and target the address, sent to the broadcast MAC.
void send_gratuitous_arp(const Announced& link, in_addr address) {
  UniqueFd sock(::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP)));
  if (!sock) throw_errno("packet socket");
  struct {
    arphdr header;
    uint8_t sender_mac[ETH_ALEN];
    uint8_t sender_ip[4];
    uint8_t target_mac[ETH_ALEN];
    uint8_t target_ip[4];
  } __attribute__((packed)) arp{};
  arp.header.ar_hrd = htons(ARPHRD_ETHER);
  arp.header.ar_pro = htons(ETH_P_IP);
  arp.header.ar_hln = ETH_ALEN;
  arp.header.ar_pln = 4;
  arp.header.ar_op = htons(ARPOP_REQUEST);
  std::memcpy(arp.sender_mac, link.mac.data(), ETH_ALEN);
  std::memcpy(arp.sender_ip, &address, 4);
  std::memcpy(arp.target_ip, &address, 4);
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = static_cast<int>(link.index);
  to.sll_halen = ETH_ALEN;
  std::memset(to.sll_addr, 0xff, ETH_ALEN);
  if (::sendto(sock.get(), &arp, sizeof arp, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
    throw_errno("send a gratuitous ARP");
}

// An unsolicited neighbour advertisement (RFC 4861 7.2.6): override set, the link's MAC as the
// target link-layer address option, to all nodes, hop limit 255, from the address itself (a
// tentative one cannot be bound: it is announced by its own duplicate address detection).
void send_unsolicited_advert(const Announced& link, const in6_addr& address) {
  UniqueFd sock(::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6));
  if (!sock) throw_errno("ICMPv6 socket");
  sockaddr_in6 from{};
  from.sin6_family = AF_INET6;
  from.sin6_addr = address;
  if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&from), sizeof from) != 0)
    throw_errno("bind");
  int hops = 255;
  auto index = static_cast<int>(link.index);
  if (::setsockopt(sock.get(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) != 0 ||
      ::setsockopt(sock.get(), IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index) != 0)
    throw_errno("setsockopt");
  struct {
    nd_neighbor_advert advert;
    nd_opt_hdr option;
    uint8_t mac[ETH_ALEN];
  } __attribute__((packed)) message{};
  message.advert.nd_na_type = ND_NEIGHBOR_ADVERT;
  message.advert.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
  message.advert.nd_na_target = address;
  message.option.nd_opt_type = ND_OPT_TARGET_LINKADDR;
  message.option.nd_opt_len = 1;  // in units of 8 bytes
  std::memcpy(message.mac, link.mac.data(), ETH_ALEN);
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  ::inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
  to.sin6_scope_id = link.index;
  if (::sendto(sock.get(), &message, sizeof message, 0, reinterpret_cast<sockaddr*>(&to),
               sizeof to) < 0)
    throw_errno("send a neighbour advertisement");
}

template <class Address, class Send>
void announce_each(const std::string& name, const Announced& link,
                   const std::vector<Address>& addresses, Send send) {
  for (const Address& address : addresses) {
    try {
      send(link, address);
    } catch (const Error& e) {
      spdlog::debug("netns: {}: an address not announced: {}", name, e.what());
    }
  }
}

}  // namespace

void announce_addresses(int netns_fd) {
  try {
    in_netns(netns_fd, [] {
      for (const auto& [name, link] : links_to_announce()) {
        if (link.index == 0) continue;  // no Ethernet address (e.g. a tun device)
        announce_each(name, link, link.v4, send_gratuitous_arp);
        announce_each(name, link, link.v6, send_unsolicited_advert);
      }
    });
  } catch (const Error& e) {
    spdlog::debug("netns: addresses not announced: {}", e.what());
  }
}

}  // namespace ckpt::netns
