#include "common/proc/igmp.h"

#include <netinet/in.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string_view>

namespace ckpt::proc {

namespace {

// The whole of `text` as a hexadecimal number; nullopt for anything else.
std::optional<uint32_t> hex_number(std::string_view text) {
  uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::vector<JoinedGroup> parse_igmp(const std::string& text) {
  std::vector<JoinedGroup> groups;
  std::istringstream lines(text);
  std::string line;
  int ifindex = 0;
  std::string device;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    if (!line.empty() && line[0] == '\t') {
      std::string hex;
      int users = 0;
      if (ifindex == 0 || !(fields >> hex >> users) || hex.size() != 8) continue;
      auto raw = hex_number(hex);
      if (!raw) continue;
      groups.push_back({AF_INET, std::string(reinterpret_cast<const char*>(&*raw), sizeof *raw),
                        ifindex, device, users});
    } else if (!line.empty() && line[0] >= '0' && line[0] <= '9') {
      if (!(fields >> ifindex >> device)) ifindex = 0;
    }
  }
  return groups;
}

std::vector<JoinedGroup> parse_igmp6(const std::string& text) {
  std::vector<JoinedGroup> groups;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    JoinedGroup g;
    std::string hex;
    if (!(fields >> g.ifindex >> g.device >> hex >> g.users) || hex.size() != 32) continue;
    g.family = AF_INET6;
    for (size_t i = 0; i < 16; ++i) {
      auto byte = hex_number(std::string_view(hex).substr(2 * i, 2));
      if (!byte) break;
      g.group.push_back(static_cast<char>(*byte));
    }
    if (g.group.size() == 16) groups.push_back(std::move(g));
  }
  return groups;
}

}  // namespace ckpt::proc
