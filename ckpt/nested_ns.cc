#include "ckpt/nested_ns.h"

#include <sys/stat.h>

#include "common/error.h"
#include "common/error_kind.h"

namespace ckpt::dump {
namespace {

// The namespaces a restored tree gets from its init; "*_for_children" catch a process that
// unshared pid or time namespaces for the children it has yet to make.
constexpr const char* kKinds[] = {
    "mnt",    "net", "uts", "ipc", "pid", "pid_for_children", "time", "time_for_children",
    "cgroup", "user"};

}  // namespace

ino_t ns_inode(pid_t pid, const char* kind) {
  struct stat st {};
  std::string path = "/proc/" + std::to_string(pid) + "/ns/" + kind;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return 0;
    throw_errno("stat {}", path);
  }
  return st.st_ino;
}

void refuse_nested_namespaces(const records::ProcessTree& tree) {
  if (tree.processes.empty()) return;
  pid_t init = tree.processes.front().host_pid;
  for (const char* kind : kKinds) {
    ino_t expected = ns_inode(init, kind);
    for (const auto& p : tree.processes) {
      ino_t inode = ns_inode(p.host_pid, kind);
      // 0: an exiting process has let go of its namespaces already; it is not in others.
      if (inode != 0 && inode != expected)
        fail(ErrorKind::kRefused,
             "process {} ({}) is in a {} namespace of its own; nested namespaces are not "
             "checkpointed",
             p.pid, p.comm, kind);
    }
  }
}

}  // namespace ckpt::dump
