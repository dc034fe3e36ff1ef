// RAII owners of libnl objects (each freed with its own _put/_free), a connected route socket,
// and conversions between nl_addr and the text kept in records.
#pragma once

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>

#include <memory>
#include <string>

#include "common/error.h"

namespace ckpt::netns {

template <class T, void (*Free)(T*)>
struct NlDeleter {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};

using NlSock = std::unique_ptr<nl_sock, NlDeleter<nl_sock, nl_socket_free>>;
using NlCache = std::unique_ptr<nl_cache, NlDeleter<nl_cache, nl_cache_free>>;
using NlMsg = std::unique_ptr<nl_msg, NlDeleter<nl_msg, nlmsg_free>>;
using NlAddr = std::unique_ptr<nl_addr, NlDeleter<nl_addr, nl_addr_put>>;
using RtnlLink = std::unique_ptr<rtnl_link, NlDeleter<rtnl_link, rtnl_link_put>>;
using RtnlAddr = std::unique_ptr<rtnl_addr, NlDeleter<rtnl_addr, rtnl_addr_put>>;
using RtnlRoute = std::unique_ptr<rtnl_route, NlDeleter<rtnl_route, rtnl_route_put>>;
using RtnlRule = std::unique_ptr<rtnl_rule, NlDeleter<rtnl_rule, rtnl_rule_put>>;
using RtnlNeigh = std::unique_ptr<rtnl_neigh, NlDeleter<rtnl_neigh, rtnl_neigh_put>>;

// Throws Error("<context>: <libnl message>") when `err` (a libnl return value) is negative.
template <typename... Args>
void check_nl(int err, fmt::format_string<Args...> context, Args&&... args) {
  if (err >= 0) return;
  throw Error(fmt::format(context, std::forward<Args>(args)...) + ": " + nl_geterror(err));
}

// A NETLINK_ROUTE socket bound to the netns of the calling thread.
NlSock connect_route_socket();

// "10.0.0.1", "fe80::1", "aa:bb:cc:dd:ee:ff" (no prefix); "" for a missing or empty address.
std::string addr_to_string(const nl_addr* addr);
// Parses `text` of `family` (AF_INET, AF_INET6, AF_LLC for a MAC); prefix < 0 keeps the full
// length.
NlAddr parse_addr(const std::string& text, int family, int prefix = -1);

// Every object of a cache, as the libnl type T.
template <class T, class F>
void for_each_object(nl_cache* cache, F&& fn) {
  for (nl_object* obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj))
    fn(reinterpret_cast<T*>(obj));
}

}  // namespace ckpt::netns
