#include "common/proc/net_sysctls.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/error.h"
#include "common/fs.h"
#include "common/unique_fd.h"

namespace ckpt::proc {

namespace {

// The value of sysctl `name` in directory `dir`, when root may both read and write it here:
// in a namespace other than the host's the kernel shows the host's own values
// (net.core.rmem_max, ...) read-only, and hides the rest of its set. Opening for reading and
// writing is that test (/proc/sys checks the entry's mode for root too) in one call, where a
// stat and an open took two: the walk is most of the dump's network stage.
std::optional<std::string> read_writable(int dir, const char* name) {
  UniqueFd fd(::openat(dir, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return std::nullopt;
  std::string value(4096, '\0');
  size_t used = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), value.data() + used, value.size() - used);
    if (n < 0 && errno == EINTR) continue;
    // Some refuse reads until written (ipv6 stable_secret): nothing to keep.
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    used += static_cast<size_t>(n);
    if (used == value.size()) value.resize(value.size() * 2);
  }
  value.resize(used);
  return fs::trim(std::move(value));
}

// Every such sysctl below directory `dir` (owned), its path prefixed with `prefix`.
void walk(UniqueFd dir, const std::string& prefix, std::vector<records::NetSysctl>& out) {
  DIR* stream = ::fdopendir(dir.get());
  if (stream == nullptr) return;
  dir.release();  // the stream owns it now
  struct Closer {
    DIR* d;
    ~Closer() { ::closedir(d); }
  } closer{stream};
  while (const dirent* entry = ::readdir(stream)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string path = prefix + std::string(name);
    if (entry->d_type == DT_DIR) {
      UniqueFd child(::openat(::dirfd(stream), entry->d_name,
                              O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
      if (child) walk(std::move(child), path + "/", out);
    } else if (entry->d_type == DT_REG) {
      if (auto value = read_writable(::dirfd(stream), entry->d_name))
        out.push_back({std::move(path), std::move(*value)});
    }
  }
}

}  // namespace

std::vector<records::NetSysctl> read_net_sysctls() {
  std::vector<records::NetSysctl> out;
  UniqueFd root(::open("/proc/sys/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return out;  // no network sysctls to keep
  walk(std::move(root), "", out);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

}  // namespace ckpt::proc
