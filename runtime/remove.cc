#include "runtime/remove.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "common/cgroup/container_cgroup.h"
#include "common/cgroup/kill.h"
#include "common/container_state.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/rootfs_store.h"
#include "netns/netns.h"

namespace ckpt::runtime {

namespace {

// The host ends of the container's veths go now, not when the kernel gets round to its dead netns.
void remove_host_network(const std::string& id) {
  try {
    netns::remove_host_veths(id, ContainerState::load(id).config.net_specs);
  } catch (const Error& e) {
    spdlog::warn("container {}: host veths not removed: {}", id, e.what());
  }
}

// A rootfs that restore unpacked for the container (not a directory the user gave) goes too.
void remove_rootfs_copy(const std::string& id) {
  try {
    remove_restored_rootfs(id, ContainerState::load(id).config.rootfs);
  } catch (const Error& e) {
    spdlog::warn("container {}: restored rootfs not removed: {}", id, e.what());
  }
}

}  // namespace

void remove_container(const std::string& id, bool force) {
  validate_container_id(id);
  std::string cgroup_path = cgroup::container_cgroup_path(id);
  bool has_state = ContainerState::exists(id);
  cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), cgroup_path);
  if (!has_state && !cgroup.exists()) fail(ErrorKind::kNotFound, "no container named '{}'", id);
  if (!force && !cgroup.all_procs().empty())
    fail(ErrorKind::kRefused, "container {} is running; stop it first (ckpt stop) or use rm -f",
         id);
  cgroup::kill_all_processes(cgroup);
  if (has_state) remove_host_network(id);
  if (has_state) remove_rootfs_copy(id);
  cgroup.remove();
  std::filesystem::remove_all(state_root() / id);
}

void kill_container(const std::string& id, int signal) {
  auto state = ContainerState::load(id);
  if (!state.init_alive()) fail(ErrorKind::kRefused, "container {} is not running", id);
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
