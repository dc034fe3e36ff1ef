#include "netns/sysctl.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "common/fs.h"
#include "common/unique_fd.h"
#include "common/untrusted_path.h"
#include "common/log.h"

namespace ckpt::netns {

namespace {

const std::filesystem::path kRoot = "/proc/sys/net";

// Writes the value unless the file holds it already; false when the kernel refuses it. The file
// is opened below this netns's /proc/sys/net (`root`), following no symlink.
bool write_one(int root, const records::NetSysctl& s, std::string& why) {
  try {
    auto current = fs::try_read_file(kRoot / s.path);
    if (current && fs::trim(*current) == s.value) return true;
    auto file = fs::open_beneath(root, s.path, O_WRONLY);
    fs::write_all(file.get(), std::as_bytes(std::span(s.value)), s.path.c_str());
    return true;
  } catch (const Error& e) {
    why = e.what();
    return false;
  }
}

}  // namespace

bool is_net_sysctl_name(const std::string& name) {
  std::vector<std::string_view> parts;
  std::string_view rest = name;
  for (size_t slash; (slash = rest.find('/')) != std::string_view::npos;) {
    parts.push_back(rest.substr(0, slash));
    rest.remove_prefix(slash + 1);
  }
  parts.push_back(rest);
  for (auto part : parts)
    if (!fs::is_plain_name(part)) return false;
  return true;
}

void check_net_sysctl_names(const std::vector<records::NetSysctl>& sysctls) {
  for (const auto& s : sysctls)
    if (!is_net_sysctl_name(s.path))
      fail("net sysctl '{}' in the image is refused: not a path of plain names below "
           "/proc/sys/net",
           s.path);
}

void write_net_sysctls(const std::vector<records::NetSysctl>& sysctls) {
  check_net_sysctl_names(sysctls);
  UniqueFd root(::open(kRoot.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno("open {}", kRoot.string());
  // Some values are checked against others (ip_unprivileged_port_start against
  // ip_local_port_range, ...): what the kernel refused is tried again while a pass makes progress.
  std::vector<const records::NetSysctl*> left;
  for (const auto& s : sysctls) left.push_back(&s);
  std::vector<std::string> why(sysctls.size());
  for (size_t before = left.size() + 1; !left.empty() && left.size() < before;) {
    before = left.size();
    std::erase_if(left, [&](const records::NetSysctl* s) {
      return write_one(root.get(), *s, why[s - sysctls.data()]);
    });
  }
  for (const auto* s : left)
    spdlog::warn("net sysctl {} = {} not restored: {}", s->path, s->value, why[s - sysctls.data()]);
}

}  // namespace ckpt::netns
