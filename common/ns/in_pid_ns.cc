#include "common/ns/in_pid_ns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "common/ns/in_thread.h"
#include "common/unique_fd.h"

namespace ckpt::ns {

namespace {

constexpr size_t kChildStack = 256 * 1024;
constexpr int kThrew = 1;

int run_child(void* arg) {
  try {
    (*static_cast<const std::function<void()>*>(arg))();
    return 0;
  } catch (...) {
    return kThrew;
  }
}

}  // namespace

void in_pid_namespace_of(pid_t pid, const std::function<void()>& fn) {
  std::string path = "/proc/" + std::to_string(pid) + "/ns/pid";
  UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) throw_errno("open({})", path);
  auto enter = [&] {
    if (::setns(ns.get(), CLONE_NEWPID) != 0) throw_errno("setns(pid namespace of pid {})", pid);
  };
  in_helper_thread(enter, [&] {
    std::vector<char> stack(kChildStack);
    void* arg = const_cast<std::function<void()>*>(&fn);
    pid_t child = ::clone(run_child, stack.data() + stack.size(),
                          CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, arg);
    if (child < 0) throw_errno("clone into the pid namespace of pid {}", pid);
    int status = 0;
    while (::waitpid(child, &status, __WALL) < 0) {
      if (errno != EINTR) throw_errno("waitpid({})", child);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      fail("a child in the pid namespace of pid {} failed (status {:#x})", pid, status);
  });
}

}  // namespace ckpt::ns
