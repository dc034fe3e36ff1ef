#include "netns/sysctl.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/error.h"
#include "common/fs.h"
#include "common/unique_fd.h"
#include "common/untrusted_path.h"

namespace ckpt::netns {

namespace {

const std::filesystem::path kRoot = "/proc/sys/net";

void read_one(const std::filesystem::path& file, std::vector<records::NetSysctl>& out) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  if (!(st.st_mode & S_IWUSR) || !(st.st_mode & S_IRUSR)) return;
  try {
    auto value = fs::try_read_file(file);
    if (value) out.push_back({file.lexically_relative(kRoot).string(), fs::trim(*value)});
  } catch (const Error&) {
    // Some files refuse reads until written (ipv6 stable_secret): nothing to keep.
  }
}

void read_conf_dir(const std::filesystem::path& conf, std::vector<records::NetSysctl>& out) {
  std::error_code ec;
  for (const auto& dev : std::filesystem::directory_iterator(conf, ec))
    for (const auto& entry : std::filesystem::directory_iterator(dev.path(), ec))
      read_one(entry.path(), out);
}

}  // namespace

std::vector<records::NetSysctl> read_net_sysctls() {
  std::vector<records::NetSysctl> out;
  read_one(kRoot / "ipv4/ip_forward", out);
  read_conf_dir(kRoot / "ipv4/conf", out);
  read_conf_dir(kRoot / "ipv6/conf", out);
  return out;
}

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
  if (parts.size() == 2) return parts[0] == "ipv4" && parts[1] == "ip_forward";
  return parts.size() == 4 && (parts[0] == "ipv4" || parts[0] == "ipv6") && parts[1] == "conf";
}

void check_net_sysctl_names(const std::vector<records::NetSysctl>& sysctls) {
  for (const auto& s : sysctls)
    if (!is_net_sysctl_name(s.path))
      fail("net sysctl '{}' in the image is refused: only ipv4/ip_forward and "
           "ipv4|ipv6/conf/LINK/NAME are restored",
           s.path);
}

void write_net_sysctls(const std::vector<records::NetSysctl>& sysctls) {
  check_net_sysctl_names(sysctls);
  UniqueFd root(::open(kRoot.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno("open {}", kRoot.string());
  for (const auto& s : sysctls) {
    try {
      // Below this netns's /proc/sys/net, no symlink followed: a file the kernel lists there.
      auto current = fs::try_read_file(kRoot / s.path);
      if (current && fs::trim(*current) == s.value) continue;
      auto file = fs::open_beneath(root.get(), s.path, O_WRONLY);
      fs::write_all(file.get(), std::as_bytes(std::span(s.value)), s.path.c_str());
    } catch (const Error& e) {
      spdlog::warn("net sysctl {} = {} not restored: {}", s.path, s.value, e.what());
    }
  }
}

}  // namespace ckpt::netns
