#include "common/ns/in_thread.h"

#include <fcntl.h>
#include <sched.h>

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace ckpt::ns {

void enter_thread_namespaces_of(pid_t pid, int nstypes) {
  static constexpr std::pair<int, const char*> kPerThread[] = {
      {CLONE_NEWUTS, "uts"}, {CLONE_NEWIPC, "ipc"}, {CLONE_NEWNET, "net"}};
  int left = nstypes;
  for (const auto& [flag, name] : kPerThread) {
    if (!(nstypes & flag)) continue;
    left &= ~flag;
    std::string path = "/proc/" + std::to_string(pid) + "/ns/" + name;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open({})", path);
    if (::setns(fd.get(), flag) != 0) throw_errno("setns({} of pid {})", name, pid);
  }
  if (left) fail("namespaces {:#x} of pid {} cannot be entered by one thread", left, pid);
}

}  // namespace ckpt::ns
