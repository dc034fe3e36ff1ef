// The network namespace's sysctls as audit facts: every readable, writable file under
// /proc/sys/net (the netns of the calling thread), more than the image keeps (netns/sysctl).
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "common/audit/collect.h"
#include "common/error.h"
#include "common/fs.h"

namespace ckpt::audit {

records::AuditFactMap read_net_sysctl_facts() {
  namespace stdfs = std::filesystem;
  const stdfs::path root = "/proc/sys/net";
  records::AuditFactMap facts;
  std::error_code ec;
  for (auto it = stdfs::recursive_directory_iterator(root, ec);
       !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::stat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (!(st.st_mode & S_IRUSR) || !(st.st_mode & S_IWUSR)) continue;
    std::string name = "net." + it->path().lexically_relative(root).string();
    std::replace(name.begin() + 4, name.end(), '/', '.');
    try {
      if (auto value = fs::try_read_file(it->path())) facts[name] = squeeze_blanks(*value);
    } catch (const Error&) {
      // Some refuse reads until written (ipv6 stable_secret): nothing to compare.
    }
  }
  return facts;
}

}  // namespace ckpt::audit
