#include "ckpt/remove.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "common/cgroup/container_cgroup.h"
#include "common/cgroup/kill.h"
#include "common/container_state.h"
#include "common/error.h"

namespace ckpt::runtime {

void remove_container(const std::string& id, bool force) {
  validate_container_id(id);
  std::string cgroup_path = "ckpt/" + id;
  bool has_state = ContainerState::exists(id);
  cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), cgroup_path);
  if (!has_state && !cgroup.exists()) fail("no container named '{}'", id);
  if (!force && !cgroup.all_procs().empty())
    fail("container {} is running; stop it first or use --force", id);
  cgroup::kill_all_processes(cgroup);
  cgroup.remove();
  std::filesystem::remove_all(state_root() / id);
}

void kill_container(const std::string& id, int signal) {
  auto state = ContainerState::load(id);
  if (!state.init_alive()) fail("container {} is not running", id);
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, state.init_pid, 0));
  if (pidfd < 0) throw_errno("pidfd_open({})", state.init_pid);
  // Re-check after taking the pidfd: the pid cannot be reused behind our back any more.
  bool alive = state.init_alive();
  int rc =
      alive ? static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0)) : 0;
  int err = errno;
  ::close(pidfd);
  if (!alive) fail("container {} is not running", id);
  errno = err;
  if (rc != 0) throw_errno("signal {} to init of {} (pid {})", signal, id, state.init_pid);
}

}  // namespace ckpt::runtime
