#include "runtime/run.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include "common/cgroup/container_cgroup.h"
#include "common/container_lock.h"
#include "common/container_state.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/utf8.h"
#include "common/ns/clone.h"
#include "common/unique_fd.h"
#include "netns/netns.h"
#include "runtime/attach.h"
#include "runtime/console.h"
#include "runtime/container_init.h"
#include "runtime/remove.h"

namespace ckpt::runtime {

namespace {

constexpr uint64_t kContainerNamespaces =
    CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWTIME;

struct Pipe {
  UniqueFd read, write;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Until commit(): kills the half-started container and removes its cgroups and state.
class StartGuard {
 public:
  explicit StartGuard(const std::string& id) : id_(id) {}
  ~StartGuard() {
    if (committed_) return;
    try {
      remove_container(id_, /*force=*/true);
    } catch (const std::exception& e) {
      spdlog::error("cleaning up container {} failed: {}", id_, e.what());
    }
  }
  void commit() { committed_ = true; }

 private:
  std::string id_;
  bool committed_ = false;
};

// Reads the error pipe until EOF (exec succeeded) or a message (something failed).
std::string read_start_error(int fd) {
  std::string message;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) message.append(buf, static_cast<size_t>(n));
  return message;
}

// Copies what the console log gains to our stdout until `pid` exits; returns its exit code.
int follow_console(const ContainerState& state, pid_t pid) {
  UniqueFd log(::open(state.console_path().c_str(), O_RDONLY | O_CLOEXEC));
  char buf[65536];
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    ssize_t n;
    while (log && (n = ::read(log.get(), buf, sizeof buf)) > 0)
      if (::write(STDOUT_FILENO, buf, static_cast<size_t>(n)) < 0) break;
    if (done == pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Attaches to the console until the container exits (its exit code) or the user detaches (-1).
// A container that exited before the attach could connect: its output is in the console log.
int attach_until_exit(const ContainerState& state, pid_t pid) {
  try {
    if (attach_console({state.id, /*linger_ms=*/-1}) == AttachEnd::kDetached) return -1;
  } catch (const Error& e) {
    spdlog::debug("attach to {}: {}; showing its console log", state.id, e.what());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the keeper's last output
    return follow_console(state, pid);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int run_container(const RunOptions& options) {
  const auto& config = options.config;
  validate_container_id(config.id);
  if (config.command.empty()) fail("run: no command given");
  // state.json is JSON: its text must be UTF-8 (refused here, before anything is made).
  require_utf8(config.hostname, "--hostname");
  for (size_t i = 0; i < config.command.size(); ++i)
    require_utf8(config.command[i], fmt::format("argument {} of the command", i));
  std::optional<ContainerLock> lock(std::in_place, config.id, "run");  // until started
  if (ContainerState::exists(config.id))
    fail(ErrorKind::kRefused, "a container named '{}' already exists", config.id);

  ContainerState state;
  state.id = config.id;
  state.cgroup_path = cgroup::container_cgroup_path(config.id);
  state.config = config;
  state.created_unix = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  StartGuard guard(config.id);
  std::filesystem::create_directories(state.dir());
  state.save();

  cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), state.cgroup_path);
  cgroup.create();
  cgroup.apply_limits("", config.limits);

  UniqueFd console(
      ::open(state.console_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!console) throw_errno("open({})", state.console_path().string());
  Pipe go = make_pipe(), error = make_pipe();
  ConsoleSocket tty;
  if (options.tty) tty = make_console_socket();

  pid_t pid = ns::clone_fork(kContainerNamespaces);
  if (pid == 0) {
    go.write.reset();
    error.read.reset();
    // The console and pipes must survive until exec: clear close-on-exec where needed.
    ::fcntl(console.get(), F_SETFD, 0);
    tty.runtime_end.reset();
    container_init(config, options.mounts,
                   {go.read.get(), error.write.get(), console.get(), tty.init_end.get()});
  }
  go.read.reset();
  error.write.reset();
  tty.init_end.reset();
  state.init_pid = pid;
  state.init_start_time = process_start_time(pid).value_or(0);
  state.save();

  cgroup.attach(pid);
  netns::setup_container_network(pid, config.id, config.net_specs);
  if (::write(go.write.get(), "g", 1) != 1) throw_errno("start container {}", config.id);
  go.write.reset();
  std::string start_error = read_start_error(error.read.get());
  if (!start_error.empty()) fail("container {}: {}", config.id, start_error);
  if (options.tty) start_pty_console(state, tty.runtime_end.get(), pid);
  guard.commit();
  lock.reset();
  spdlog::info("container {} started, init pid {}", config.id, pid);

  if (options.detach) return 0;
  int code = options.tty ? attach_until_exit(state, pid) : follow_console(state, pid);
  if (code < 0) return 0;  // detached: the container runs on
  ContainerLock removing(config.id, "run");  // its lock file goes with the container
  remove_container(config.id, /*force=*/true);
  return code;
}

}  // namespace ckpt::runtime
