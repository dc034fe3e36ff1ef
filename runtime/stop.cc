#include "runtime/stop.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

#include "common/cgroup/container_cgroup.h"
#include "common/cgroup/freezer.h"
#include "common/cgroup/kill.h"
#include "common/container_state.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace ckpt::runtime {

namespace {

// Waits until the process of `pidfd` exits; false after `timeout`.
bool wait_exit(int pidfd, std::chrono::milliseconds timeout) {
  struct pollfd p {
    pidfd, POLLIN, 0
  };
  for (;;) {
    int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (n >= 0) return n > 0;
    if (errno != EINTR) throw_errno("poll(pidfd)");
  }
}

// Copies what `fd` has from its offset on to stdout.
void copy_to_stdout(int fd) {
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    if (::write(STDOUT_FILENO, buf, static_cast<size_t>(n)) < 0) throw_errno("write(stdout)");
  if (n < 0) throw_errno("read console log");
}

}  // namespace

void stop_container(const std::string& id, std::chrono::milliseconds grace) {
  auto state = ContainerState::load(id);
  cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), state.cgroup_path);
  if (!cgroup.exists() || cgroup.all_procs().empty()) return;
  bool frozen = cgroup::container_freezer(cgroup)->state() != cgroup::FreezerState::kThawed;
  if (!frozen && state.init_alive()) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, state.init_pid, 0)));
    // Taken after the liveness check: the pid cannot have been reused if it is still alive now.
    if (pidfd && state.init_alive()) {
      if (::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGTERM, nullptr, 0) != 0 && errno != ESRCH)
        throw_errno("SIGTERM to init of {} (pid {})", id, state.init_pid);
      if (wait_exit(pidfd.get(), grace))
        spdlog::info("container {}: init exited after SIGTERM", id);
      else
        spdlog::info("container {}: init still runs after {} ms; killing", id, grace.count());
    }
  }
  cgroup::kill_all_processes(cgroup);  // the rest (the kernel kills a pid namespace with its init)
}

void print_console_log(const std::string& id, bool follow) {
  auto state = ContainerState::load(id);
  UniqueFd log(::open(state.console_path().c_str(), O_RDONLY | O_CLOEXEC));
  if (!log) throw_errno("open({})", state.console_path().string());
  copy_to_stdout(log.get());
  if (!follow) return;
  while (state.init_alive()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    copy_to_stdout(log.get());
  }
  copy_to_stdout(log.get());
}

}  // namespace ckpt::runtime
