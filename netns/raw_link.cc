#include "netns/raw_link.h"

#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cstring>

#include "netns/nl_objects.h"

namespace ckpt::netns {

namespace {

template <class T>
T get_scalar(const std::map<uint16_t, std::string>& data, uint16_t type, T fallback) {
  auto it = data.find(type);
  if (it == data.end() || it->second.size() < sizeof(T)) return fallback;
  T value;
  memcpy(&value, it->second.data(), sizeof value);
  return value;
}

int collect_info_data(nl_msg* msg, void* arg) {
  auto* out = static_cast<std::map<int, LinkInfoData>*>(arg);
  nlmsghdr* hdr = nlmsg_hdr(msg);
  if (hdr->nlmsg_type != RTM_NEWLINK) return NL_OK;
  auto* ifi = static_cast<ifinfomsg*>(nlmsg_data(hdr));
  nlattr* tb[IFLA_MAX + 1];
  if (nlmsg_parse(hdr, sizeof(ifinfomsg), tb, IFLA_MAX, nullptr) < 0 || !tb[IFLA_LINKINFO])
    return NL_OK;
  nlattr* li[IFLA_INFO_MAX + 1];
  if (nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], nullptr) < 0) return NL_OK;
  LinkInfoData& info = (*out)[ifi->ifi_index];
  if (li[IFLA_INFO_KIND]) info.kind = nla_get_string(li[IFLA_INFO_KIND]);
  if (!li[IFLA_INFO_DATA]) return NL_OK;
  nlattr* attr;
  int rem;
  nla_for_each_nested(attr, li[IFLA_INFO_DATA], rem) {
    info.data[static_cast<uint16_t>(nla_type(attr))] =
        std::string(static_cast<const char*>(nla_data(attr)), static_cast<size_t>(nla_len(attr)));
  }
  return NL_OK;
}

void put_mac(nl_msg* msg, const std::string& mac) {
  NlAddr addr = parse_addr(mac, AF_LLC);
  nla_put(msg, IFLA_ADDRESS, static_cast<int>(nl_addr_get_len(addr.get())),
          nl_addr_get_binary_addr(addr.get()));
}

}  // namespace

uint32_t LinkInfoData::u32(uint16_t type, uint32_t fallback) const {
  return get_scalar(data, type, fallback);
}
uint16_t LinkInfoData::u16(uint16_t type, uint16_t fallback) const {
  return get_scalar(data, type, fallback);
}
uint8_t LinkInfoData::u8(uint16_t type, uint8_t fallback) const {
  return get_scalar(data, type, fallback);
}

std::map<int, LinkInfoData> dump_link_info_data(nl_sock* sock) {
  std::map<int, LinkInfoData> out;
  rtgenmsg gen{};
  gen.rtgen_family = AF_UNSPEC;
  check_nl(nl_send_simple(sock, RTM_GETLINK, NLM_F_DUMP, &gen, sizeof gen), "RTM_GETLINK dump");
  std::unique_ptr<nl_cb, NlDeleter<nl_cb, nl_cb_put>> cb(nl_cb_clone(nl_socket_get_cb(sock)));
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, collect_info_data, &out);
  check_nl(nl_recvmsgs(sock, cb.get()), "RTM_GETLINK dump");
  return out;
}

records::BridgeInfo bridge_info(const LinkInfoData& info) {
  records::BridgeInfo b;
  b.stp_state = info.u32(IFLA_BR_STP_STATE, b.stp_state);
  b.ageing_time = info.u32(IFLA_BR_AGEING_TIME, b.ageing_time);
  b.forward_delay = info.u32(IFLA_BR_FORWARD_DELAY, b.forward_delay);
  b.priority = info.u16(IFLA_BR_PRIORITY, b.priority);
  return b;
}

records::TunInfo tun_info(const LinkInfoData& info) {
  records::TunInfo t;
  t.tap = info.u8(IFLA_TUN_TYPE, IFF_TAP) == IFF_TAP;
  if (!info.u8(IFLA_TUN_PI, 0)) t.flags |= IFF_NO_PI;
  if (info.u8(IFLA_TUN_VNET_HDR, 0)) t.flags |= IFF_VNET_HDR;
  if (info.u8(IFLA_TUN_MULTI_QUEUE, 0)) t.flags |= IFF_MULTI_QUEUE;
  uint32_t owner = info.u32(IFLA_TUN_OWNER, UINT32_MAX);
  uint32_t group = info.u32(IFLA_TUN_GROUP, UINT32_MAX);
  t.owner = owner == UINT32_MAX ? int64_t{-1} : int64_t{owner};
  t.group = group == UINT32_MAX ? int64_t{-1} : int64_t{group};
  return t;
}

void create_bridge(nl_sock* sock, const records::NetLink& link) {
  NlMsg msg(nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL));
  if (!msg) fail("nlmsg_alloc: out of memory");
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  check_nl(nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO), "bridge {}", link.name);
  nla_put_string(msg.get(), IFLA_IFNAME, link.name.c_str());
  if (link.mtu && link.mtu != 1500) nla_put_u32(msg.get(), IFLA_MTU, link.mtu);
  if (!link.mac.empty()) put_mac(msg.get(), link.mac);
  nlattr* linkinfo = nla_nest_start(msg.get(), IFLA_LINKINFO);
  nla_put_string(msg.get(), IFLA_INFO_KIND, "bridge");
  nlattr* data = nla_nest_start(msg.get(), IFLA_INFO_DATA);
  nla_put_u32(msg.get(), IFLA_BR_FORWARD_DELAY, link.bridge.forward_delay);
  nla_put_u32(msg.get(), IFLA_BR_AGEING_TIME, link.bridge.ageing_time);
  nla_put_u16(msg.get(), IFLA_BR_PRIORITY, link.bridge.priority);
  nla_put_u32(msg.get(), IFLA_BR_STP_STATE, link.bridge.stp_state);
  nla_nest_end(msg.get(), data);
  nla_nest_end(msg.get(), linkinfo);
  check_nl(nl_send_sync(sock, msg.release()), "create bridge {}", link.name);
}

}  // namespace ckpt::netns
