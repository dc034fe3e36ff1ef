#include "common/privileges.h"

#include <fmt/ranges.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace ckpt {

bool verb_needs_root(const std::string& verb) {
  for (std::string_view v : {"run", "dump", "restore", "rm", "kill", "freeze", "thaw", "attach",
                             "list", "console-keeper"})
    if (verb == v) return true;
  return false;
}

void require_root(const std::string& verb) {
  if (::geteuid() != 0)
    fail("ckpt {} needs root: it makes namespaces and cgroups and traces processes (running as "
         "uid {})",
         verb, ::geteuid());
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) throw_errno("capget");
  std::vector<std::string> missing;
  static constexpr std::pair<int, const char*> kNeeded[] = {
      {CAP_SYS_ADMIN, "CAP_SYS_ADMIN"},
      {CAP_SYS_PTRACE, "CAP_SYS_PTRACE"},
      {CAP_NET_ADMIN, "CAP_NET_ADMIN"},
      {CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE"},
      {CAP_KILL, "CAP_KILL"}};
  for (auto [cap, name] : kNeeded)
    if (!(data[cap / 32].effective & (1u << (cap % 32)))) missing.push_back(name);
  if (!missing.empty())
    fail("ckpt {} needs root with {}: missing here", verb, fmt::join(missing, ", "));
}

}  // namespace ckpt
