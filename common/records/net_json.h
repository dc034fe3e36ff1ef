// The network record as JSON (for `ckpt inspect --json`): every field under its own name.
#pragma once

#include <nlohmann/json.hpp>

#include "common/records/net.h"

namespace ckpt::records {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(VethPeer, name, master, mtu, mac, up, inside)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(BridgeInfo, stp_state, ageing_time, forward_delay, priority)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(VxlanInfo, vni, remote, group, local, port, ttl, parent)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TunInfo, tap, flags, owner, group)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(NetLink, name, kind, ifindex, mtu, mac, up, master, veth, bridge,
                                   macvlan_mode, macvlan_parent, vxlan, tun)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(NetAddress, link, family, local, peer, prefix, scope, flags,
                                   valid_lifetime, preferred_lifetime, label)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(NetRoute, family, table, dst, dst_len, gateway, link, prefsrc,
                                   priority, scope, protocol, type, flags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(NetRule, family, priority, table, action, src, src_len, dst,
                                   dst_len, iif, oif, fwmark, fwmask, protocol)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(NetNeighbour, link, family, dst, lladdr, state)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(NetSysctl, path, value)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(NetNamespace, links, addresses, routes, rules, neighbours,
                                   sysctls, learned_neighbours)

}  // namespace ckpt::records
