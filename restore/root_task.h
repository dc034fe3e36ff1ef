// The restored container's first process: cloned into fresh pid, mount, uts and ipc namespaces
// (and the rebuilt network namespace), it runs the caller's set-up steps around the standard
// mounts, reports, then runs `body` as pid 1 of the container.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "common/records/container.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

struct RootTaskSpec {
  std::string rootfs;        // "" = the host's files
  int netns_fd = -1;         // the rebuilt network namespace; -1: a fresh, empty one
  std::string console_path;  // stdout/stderr of the container
};

// What the root task runs, in this order. A step that throws fails the restore with its message.
struct RootTaskSteps {
  // In the new namespaces, before the standard mounts (the host's paths are still visible).
  std::function<void()> before_mounts;
  // After the standard mounts and setsid(), before the set-up is reported done.
  std::function<void()> in_namespaces;
  // As pid 1 once the set-up is reported; must not return normally (it becomes the init).
  std::function<void()> body;
};

// Until release(), the destructor SIGKILLs and reaps the root task.
class RootTask {
 public:
  // Clones the root task and runs `steps` in it. Returns once the child reported that its
  // set-up succeeded (or throws with the child's error).
  RootTask(const RootTaskSpec& spec, const RootTaskSteps& steps);
  ~RootTask();
  RootTask(const RootTask&) = delete;
  RootTask& operator=(const RootTask&) = delete;

  pid_t pid() const { return pid_; }
  // What the body reported when it failed before installing the restored fds ("" if nothing).
  std::string failure() const;
  void release() { released_ = true; }

 private:
  pid_t pid_ = -1;
  bool released_ = false;
  UniqueFd report_;
};

// The body of a container with no process of its own yet: sleeps as init, reaping orphans,
// until SIGTERM/SIGINT.
[[noreturn]] void placeholder_init();

}  // namespace ckpt::restore
