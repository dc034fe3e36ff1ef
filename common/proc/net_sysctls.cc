#include "common/proc/net_sysctls.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "common/fs.h"

namespace ckpt::proc {

namespace {

const std::filesystem::path kRoot = "/proc/sys/net";

// Only files readable and writable here: in a namespace other than the host's the kernel shows
// the host's own values (net.core.rmem_max, ...) read-only, and hides the rest of its set.
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

}  // namespace

std::vector<records::NetSysctl> read_net_sysctls() {
  std::vector<records::NetSysctl> out;
  std::error_code ec;
  auto options = std::filesystem::directory_options::skip_permission_denied;
  for (auto it = std::filesystem::recursive_directory_iterator(kRoot, options, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_directory(ec)) read_one(it->path(), out);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

}  // namespace ckpt::proc
