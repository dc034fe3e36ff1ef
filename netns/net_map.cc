#include "common/error.h"
#include "netns/netns.h"

namespace ckpt::netns {

namespace {

void add_rename(std::map<std::string, std::string>& renames, const std::string& spec,
                const std::string& pair) {
  auto eq = pair.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size())
    fail("--net-map {}: expected KIND:OLD=NEW", spec);
  std::string from = pair.substr(0, eq);
  std::string to = pair.substr(eq + 1);
  if (to.size() >= 16) fail("--net-map {}: name {} is longer than 15 characters", spec, to);
  if (!renames.emplace(from, to).second) fail("--net-map {}: {} is mapped twice", spec, from);
}

}  // namespace

NetMap parse_net_map(const std::vector<std::string>& specs) {
  NetMap map;
  for (const auto& spec : specs) {
    auto colon = spec.find(':');
    std::string kind = spec.substr(0, colon);
    if (colon == std::string::npos) fail("--net-map {}: expected KIND:OLD=NEW", spec);
    std::string pair = spec.substr(colon + 1);
    if (kind == "bridge")
      add_rename(map.bridges, spec, pair);
    else if (kind == "link")
      add_rename(map.links, spec, pair);
    else if (kind == "veth")
      add_rename(map.veths, spec, pair);
    else
      fail("--net-map {}: unknown kind '{}' (bridge, link or veth)", spec, kind);
  }
  return map;
}

}  // namespace ckpt::netns
