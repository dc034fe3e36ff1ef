#include "restore/tree.h"

#include <linux/close_range.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "common/ns/clone.h"
#include "restore/files_removed_dirs.h"

namespace ckpt::restore {
namespace {

// In forked children nothing may throw past here: report and exit.
[[noreturn]] void die(const char* what, pid_t pid) {
  std::fprintf(stderr, "ckpt restore: process %d: %s: %m\n", pid, what);
  ::_exit(70);
}

}  // namespace

ForkPlan::ForkPlan(records::ProcessTree tree, std::vector<records::ProcessState> states)
    : tree_(std::move(tree)), states_(std::move(states)) {
  void* page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) throw_errno("mmap the fork plan page");
  ready_ = new (page) std::atomic<int32_t>(0);
  go_ = new (static_cast<char*>(page) + 64) std::atomic<int32_t>(0);
}

ForkPlan::~ForkPlan() {
  ::munmap(ready_, 4096);
}

void ForkPlan::run_as_root(OpenedFiles* files, SessionHook on_session) {
  on_session_ = std::move(on_session);
  if (tree_.processes.empty()) die("empty process tree", 1);
  while (go_->load() == 0) ::syscall(SYS_futex, go_, FUTEX_WAIT, 0, nullptr, nullptr, 0);
  if (tree_.processes[0].pid == 1) become(0, files);
  // The image's init is not pid 1 (a plain process tree): a helper init forks it and reaps.
  for (size_t i = 0; i < tree_.processes.size(); ++i)
    if (i == 0 || tree_.processes[i].ppid == 0) fork_child(i, files);
  ::close_range(0, ~0u, 0);  // the helper holds nothing of the tracer's
  while (::waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
  }
  ::_exit(0);
}

void ForkPlan::fork_child(size_t index, OpenedFiles* files) {
  const auto& entry = tree_.processes[index];
  pid_t tid = entry.pid;
  pid_t pid = 0;
  try {
    pid = ns::clone_fork(0, std::span(&tid, 1), states_[index].exit_signal);
  } catch (const Error& e) {
    errno = e.err();
    die("clone3 with set_tid", entry.pid);
  }
  if (pid == 0) become(index, files);
}

void ForkPlan::become(size_t index, OpenedFiles* files) {
  const auto& entry = tree_.processes[index];
  if (entry.sid == entry.pid && ::getsid(0) != entry.pid && ::setsid() < 0)
    die("setsid", entry.pid);
  if (entry.zombie) become_zombie(entry);
  if (on_session_) on_session_(entry.pid);
  for (size_t i = 0; i < tree_.processes.size(); ++i)
    if (tree_.processes[i].ppid == entry.pid && i != index) fork_child(i, files);
  if (entry.pgid == entry.pid && ::getpgid(0) != entry.pid && ::setpgid(0, 0) < 0)
    die("setpgid", entry.pid);
  // fds before rlimits: a lowered RLIMIT_NOFILE would refuse high fd numbers.
  if (files) {
    try {
      files->install_fds(entry.pid);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ckpt restore: process %d: %s\n", entry.pid, e.what());
      ::_exit(70);
    }
  }
  set_own_state(index);
  count_ready();
  for (;;) ::pause();  // the tracer takes over from here
}

// Exits as the dumped zombie did, in its process group, leaving its status to its parent.
void ForkPlan::become_zombie(const records::ProcessEntry& entry) {
  if (entry.pgid == entry.pid) {
    if (::getpgid(0) != entry.pid && ::setpgid(0, 0) < 0) die("setpgid", entry.pid);
  } else if (::getpgid(0) != entry.pgid) {
    ::setpgid(0, entry.pgid);  // best effort: the group's leader may be forked later
  }
  count_ready();
  if (WIFSIGNALED(entry.exit_status)) {
    int sig = WTERMSIG(entry.exit_status);
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);  // no core file (the status loses its core flag)
    ::signal(sig, SIG_DFL);
    sigset_t all;
    sigfillset(&all);
    ::sigprocmask(SIG_UNBLOCK, &all, nullptr);
    ::kill(::getpid(), sig);
  }
  ::_exit(WEXITSTATUS(entry.exit_status));
}

void ForkPlan::count_ready() {
  ready_->fetch_add(1);
  ::syscall(SYS_futex, ready_, FUTEX_WAKE, INT32_MAX, nullptr, nullptr, 0);
}

// What a process can set on itself; the rest is injected by the tracer.
void ForkPlan::set_own_state(size_t index) {
  const auto& state = states_[index];
  pid_t pid = tree_.processes[index].pid;
  if (is_removed_cwd(state.cwd)) {
    if (!enter_removed_cwd(state.cwd)) die(("removed working directory " + state.cwd).c_str(), pid);
  } else if (!state.cwd.empty() && ::chdir(state.cwd.c_str()) != 0) {
    std::fprintf(stderr, "ckpt restore: process %d: chdir %s: %m\n", pid, state.cwd.c_str());
  }
  ::umask(state.umask);
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);  // the tracer sets the dumped ones
  ::prctl(PR_SET_NAME, state.comm.c_str());
  for (size_t r = 0; r < state.rlimits.size(); ++r) {
    rlimit limit{state.rlimits[r].soft, state.rlimits[r].hard};
    rlimit now{};
    ::getrlimit(static_cast<__rlimit_resource>(r), &now);
    if (limit.rlim_max > now.rlim_max)
      limit.rlim_max = now.rlim_max;  // hard limits cannot rise here
    if (limit.rlim_cur > limit.rlim_max) limit.rlim_cur = limit.rlim_max;
    ::setrlimit(static_cast<__rlimit_resource>(r), &limit);
  }
  if (::personality(state.personality) < 0) die("personality", pid);
}

void ForkPlan::start() {
  go_->store(1);
  ::syscall(SYS_futex, go_, FUTEX_WAKE, INT32_MAX, nullptr, nullptr, 0);
}

void ForkPlan::wait_ready(int timeout_ms) const {
  int32_t want = static_cast<int32_t>(tree_.processes.size());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int32_t now = ready_->load();
    if (now >= want) return;
    if (std::chrono::steady_clock::now() > deadline)
      fail("only {} of {} restored processes got ready", now, want);
    timespec wait{0, 10 * 1000 * 1000};
    ::syscall(SYS_futex, ready_, FUTEX_WAIT, now, &wait, nullptr, 0);
  }
}

}  // namespace ckpt::restore
