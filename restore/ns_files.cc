#include "restore/ns_files.h"

#include <fcntl.h>

#include <algorithm>
#include <string_view>

#include "common/error.h"
#include "restore/fd_kinds.h"

namespace ckpt::restore {

namespace {

// The namespaces the root task is the first process of (restore/root_task.h, time_ns.h).
constexpr std::string_view kRestoredTypes[] = {"mnt", "net", "uts", "ipc", "pid", "time"};

}  // namespace

UniqueFd open_namespace_file(const records::FileDescription& d) {
  if (std::find(std::begin(kRestoredTypes), std::end(kRestoredTypes), d.path) ==
      std::end(kRestoredTypes))
    fail("restore files: description {}: the restored container has no '{}' namespace of its own",
         d.id, d.path);
  std::string path = "/proc/self/ns/" + d.path;
  UniqueFd fd(::open(path.c_str(), reopen_flags(d.flags)));
  if (!fd) throw_errno("restore files: open({})", path);
  return fd;
}

}  // namespace ckpt::restore
