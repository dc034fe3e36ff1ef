#include "restore/root_task.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/container_lock.h"
#include "common/error.h"
#include "common/keyring.h"
#include "common/log.h"
#include "common/ns/clone.h"
#include "common/ns/container_mounts.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

namespace {

constexpr uint64_t kRootNamespaces = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;

// stdin /dev/null, stdout/stderr the console log: opened before the mounts change (with a
// rootfs, neither path is visible afterwards), installed after.
struct Console {
  UniqueFd null_fd, log;

  explicit Console(const std::string& console_path)
      : null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC)),
        log(::open(console_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) {
    if (!null_fd || !log) throw_errno("open console {}", console_path);
  }
  void install() const {
    if (::dup2(null_fd.get(), 0) < 0 || ::dup2(log.get(), 1) < 0 || ::dup2(log.get(), 2) < 0)
      throw_errno("dup2 console");
  }
};

// In the child: join the network, the caller's steps around the mounts, report, run the body.
[[noreturn]] void root_main(const RootTaskSpec& spec, const RootTaskSteps& steps, int report_fd) {
  try {
    close_inherited_container_locks();  // the lock is the tracer's, gone with it
    if (spec.netns_fd >= 0 && ::setns(spec.netns_fd, CLONE_NEWNET) != 0)
      throw_errno("setns(network namespace)");
    if (spec.netns_fd < 0 && ::unshare(CLONE_NEWNET) != 0) throw_errno("unshare(CLONE_NEWNET)");
    Console console(spec.console_path);
    steps.before_mounts();
    ns::setup_container_mounts(spec.rootfs);
    ::setsid();
    join_new_session_keyring();  // the restored processes inherit it, not the operator's
    steps.in_namespaces();
    console.install();
    if (::write(report_fd, "", 1) != 1) ::_exit(1);
    // report_fd stays open: a failure of the body (before it installs the restored fds, which
    // closes it) is reported there too, see RootTask::failure().
    steps.body();
  } catch (const std::exception& e) {
    ssize_t ignored = ::write(report_fd, e.what(), std::strlen(e.what()));
    (void)ignored;
  }
  ::_exit(127);
}

// Kills the root task and reaps it. Its pid namespace dies with it, but its exit waits until
// every other process of the namespace is reaped, and a process this tracer still traces is
// reaped only by us when it is a zombie: waiting for the root task alone never returned. So every
// child of ours is reaped (__WALL: traced ones too) until the root task is, for at most 10 s.
void kill_and_reap(pid_t root) {
  ::kill(root, SIGKILL);
  constexpr int kTries = 1000;
  for (int i = 0; i < kTries; ++i) {
    int status = 0;
    pid_t got = ::waitpid(-1, &status, __WALL | WNOHANG);
    if (got == root || (got < 0 && errno == ECHILD)) return;
    if (got > 0) continue;
    if (got < 0 && errno != EINTR) break;
    ::usleep(10000);
  }
  spdlog::error("the restored root task {} was not reaped; it is killed and left to init", root);
}

}  // namespace

RootTask::RootTask(const RootTaskSpec& spec, const RootTaskSteps& steps) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  UniqueFd rd(fds[0]), wr(fds[1]);
  pid_ = ns::clone_fork(kRootNamespaces);
  if (pid_ == 0) {
    rd.reset();
    root_main(spec, steps, wr.get());
  }
  wr.reset();
  char buf[512];
  ssize_t n = ::read(rd.get(), buf, 1);
  if (n == 1 && buf[0] == '\0') {
    report_ = std::move(rd);
    return;
  }
  if (n == 1) n += std::max<ssize_t>(0, ::read(rd.get(), buf + 1, sizeof buf - 1));
  std::string message = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "it died";
  if (!message.empty() && message[0] == '\0') message.erase(0, 1);
  kill_and_reap(pid_);
  pid_ = -1;
  fail("setting up the container's namespaces failed: {}", message);
}

std::string RootTask::failure() const {
  if (!report_) return {};
  ::fcntl(report_.get(), F_SETFL, O_NONBLOCK);
  char buf[512];
  ssize_t n = ::read(report_.get(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

RootTask::~RootTask() {
  if (released_ || pid_ <= 0) return;
  kill_and_reap(pid_);
}

void placeholder_init() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  for (;;) {
    int sig = 0;
    sigwait(&set, &sig);
    if (sig != SIGCHLD) ::_exit(0);
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
}

}  // namespace ckpt::restore
