// The restored container's first process: cloned into fresh pid, mount, uts and ipc namespaces
// (and the rebuilt network namespace), it sets the UTS state and mounts, then runs `body` as
// pid 1 of the container.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "common/records/container.h"
#include "common/records/uts.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

struct RootTaskSpec {
  records::UtsState uts;
  std::string rootfs;        // "" = the host's files
  int netns_fd = -1;         // the rebuilt network namespace; -1: a fresh, empty one
  std::string console_path;  // stdout/stderr of the container
  // Steps run in the new mount namespace before the standard mounts (host paths still visible).
  std::vector<std::function<void()>> before_mounts;
  // Steps run inside the new namespaces, after UTS and mounts, before the set-up is reported
  // done (e.g. recreating IPC objects); a step that throws fails the restore.
  std::vector<std::function<void()>> in_namespaces;
};

// Until release(), the destructor SIGKILLs and reaps the root task.
class RootTask {
 public:
  // Clones the root task; `body` runs in it after the namespaces are set up and must not
  // return normally (it becomes the container's init). The call returns once the child
  // reported that its set-up succeeded (or throws with the child's error).
  RootTask(const RootTaskSpec& spec, const std::function<void()>& body);
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
