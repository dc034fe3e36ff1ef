#include "netns/sysctl.h"

#include <sys/stat.h>

#include <filesystem>

#include "common/error.h"
#include "common/fs.h"

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

void write_net_sysctls(const std::vector<records::NetSysctl>& sysctls) {
  for (const auto& s : sysctls) {
    auto path = kRoot / s.path;
    try {
      auto current = fs::try_read_file(path);
      if (current && fs::trim(*current) == s.value) continue;
      fs::write_file(path, s.value);
    } catch (const Error& e) {
      spdlog::warn("net sysctl {} = {} not restored: {}", s.path, s.value, e.what());
    }
  }
}

}  // namespace ckpt::netns
