#include "netns/net_spec.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <charconv>

#include "common/error.h"
#include "netns/netns.h"

namespace ckpt::netns {

namespace {

// AF_INET / AF_INET6 for a textual address, 0 when it is neither.
int address_family(const std::string& text) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) return AF_INET;
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) return AF_INET6;
  return 0;
}

bool is_mac(const std::string& text) {
  if (text.size() != 17) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    bool colon = i % 3 == 2;
    if (colon != (text[i] == ':')) return false;
    if (!colon && !isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

uint32_t parse_number(const std::string& spec, const std::string& key, const std::string& value,
                      uint32_t max) {
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n > max)
    fail("--net {}: {}={} is not a number up to {}", spec, key, value, max);
  return n;
}

void parse_cidr(const std::string& spec, const std::string& value, NetSpec& out) {
  auto slash = value.find('/');
  if (slash == std::string::npos) fail("--net {}: ip={} needs a /prefix", spec, value);
  out.address = value.substr(0, slash);
  out.family = address_family(out.address);
  if (!out.family) fail("--net {}: ip={} is not an IPv4 or IPv6 address", spec, value);
  uint32_t max = out.family == AF_INET ? 32 : 128;
  out.prefix = static_cast<uint8_t>(parse_number(spec, "ip prefix", value.substr(slash + 1), max));
  out.ip = value;
}

void set_field(const std::string& spec, const std::string& key, const std::string& value,
               NetSpec& out) {
  if (value.empty()) fail("--net {}: {} has no value", spec, key);
  if (key == "bridge") {
    if (value.size() >= IFNAMSIZ) fail("--net {}: bridge name {} is too long", spec, value);
    out.bridge = value;
  } else if (key == "ip") {
    parse_cidr(spec, value, out);
  } else if (key == "gw") {
    if (!address_family(value)) fail("--net {}: gw={} is not an IP address", spec, value);
    out.gateway = value;
  } else if (key == "mac") {
    if (!is_mac(value)) fail("--net {}: mac={} is not like aa:bb:cc:dd:ee:ff", spec, value);
    out.mac = value;
  } else if (key == "mtu") {
    out.mtu = parse_number(spec, key, value, 65535);
    if (out.mtu < 68) fail("--net {}: mtu={} is below 68", spec, value);
  } else if (key == "name") {
    if (value.size() >= IFNAMSIZ || value.find('/') != std::string::npos)
      fail("--net {}: name={} is not a valid interface name", spec, value);
    out.name = value;
  } else {
    fail("--net {}: unknown key '{}' (bridge, ip, gw, mac, mtu, name)", spec, key);
  }
}

records::NetRoute default_route(const NetSpec& spec, const std::string& link) {
  records::NetRoute route;
  route.family = address_family(spec.gateway);
  route.gateway = spec.gateway;
  route.link = link;
  route.protocol = 3;  // RTPROT_BOOT, as `ip route add`
  return route;
}

}  // namespace

NetSpec parse_net_spec(const std::string& spec) {
  NetSpec out;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    if (comma == std::string::npos) comma = spec.size();
    std::string field = spec.substr(start, comma - start);
    auto eq = field.find('=');
    if (eq == std::string::npos) fail("--net {}: '{}' is not KEY=VALUE", spec, field);
    set_field(spec, field.substr(0, eq), field.substr(eq + 1), out);
    start = comma + 1;
  }
  if (out.bridge.empty()) fail("--net {}: bridge=BR is required", spec);
  if (!out.gateway.empty() && out.ip.empty()) fail("--net {}: gw needs ip", spec);
  if (!out.gateway.empty() && address_family(out.gateway) != out.family)
    fail("--net {}: gw={} is not of the family of ip={}", spec, out.gateway, out.ip);
  return out;
}

records::NetNamespace network_from_specs(const std::string& container_id,
                                         const std::vector<std::string>& specs) {
  records::NetNamespace net;
  records::NetLink lo;
  lo.name = "lo";
  lo.kind = "loopback";
  lo.up = true;
  net.links.push_back(lo);
  if (specs.size() == 1 && specs[0] == "none") return net;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i] == "none") fail("--net none cannot be combined with other --net options");
    NetSpec spec = parse_net_spec(specs[i]);
    records::NetLink veth;
    veth.name = spec.name.empty() ? "eth" + std::to_string(i) : spec.name;
    veth.kind = "veth";
    veth.mtu = spec.mtu;
    veth.mac = spec.mac;
    veth.up = true;
    veth.veth.name = host_veth_name(container_id, static_cast<int>(i));
    veth.veth.master = spec.bridge;
    veth.veth.mtu = spec.mtu;
    veth.veth.up = true;
    for (const auto& other : net.links)
      if (other.name == veth.name)
        fail("--net {}: interface {} is given twice", specs[i], veth.name);
    net.links.push_back(veth);
    if (!spec.ip.empty()) {
      records::NetAddress address;
      address.link = veth.name;
      address.family = spec.family;
      address.local = spec.address;
      address.prefix = spec.prefix;
      address.valid_lifetime = address.preferred_lifetime = 0xffffffff;
      net.addresses.push_back(address);
    }
    if (!spec.gateway.empty()) net.routes.push_back(default_route(spec, veth.name));
  }
  return net;
}

std::string host_veth_name(const std::string& container_id, int index) {
  uint32_t hash = 2166136261u;  // FNV-1a
  for (unsigned char c : container_id) hash = (hash ^ c) * 16777619u;
  return fmt::format("ck{:08x}-{}", hash, index);
}

}  // namespace ckpt::netns
