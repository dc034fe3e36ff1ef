#include "common/cgroup/kill.h"

#include <signal.h>

#include <chrono>
#include <thread>

#include "common/cgroup/freezer.h"
#include "common/error.h"

namespace ckpt::cgroup {

void kill_all_processes(const ContainerCgroup& cgroup) {
  if (!cgroup.exists()) return;
  auto freezer = container_freezer(cgroup);
  // Frozen, nothing can fork while we kill; SIGKILL is delivered once thawed.
  bool frozen = true;
  try {
    freezer->freeze(std::chrono::seconds(2));
  } catch (const Error&) {
    frozen = false;
  }
  for (pid_t pid : cgroup.all_procs()) ::kill(pid, SIGKILL);
  if (frozen) freezer->thaw();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!cgroup.all_procs().empty()) {
    if (std::chrono::steady_clock::now() > deadline)
      fail("processes of cgroup {} did not exit after SIGKILL", cgroup.path());
    for (pid_t pid : cgroup.all_procs()) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace ckpt::cgroup
