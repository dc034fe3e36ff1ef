#include "restore/tree.h"

#include <linux/close_range.h>
#include <linux/futex.h>
#include <poll.h>
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
#include <map>
#include <cstdio>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "common/ns/clone.h"

namespace ckpt::restore {
namespace {

// In the shared page of the plan: processes that failed (inherited by every forked process).
std::atomic<int32_t>* g_failed = nullptr;

// A forked process that cannot go on: counted for wait_ready(), which fails at once.
[[noreturn]] void exit_failed() {
  if (g_failed) g_failed->fetch_add(1);
  ::_exit(70);
}

// In forked children nothing may throw past here: report and exit.
[[noreturn]] void die(const char* what, pid_t pid) {
  std::fprintf(stderr, "ckpt restore: process %d: %s: %m\n", pid, what);
  exit_failed();
}

// A tree from an image is untrusted: each pid once and in range, and every process reached by
// the forks (its parent in the tree, no cycle, no children of a zombie, which exits at once), or
// the tracer would wait for processes nobody forks.
void check_tree(const records::ProcessTree& tree, size_t states) {
  const auto& ps = tree.processes;
  if (ps.empty()) fail("the image's process tree is empty");
  if (states != ps.size()) fail("the image has {} process states for {} processes", states, ps.size());
  std::map<int32_t, size_t> index;
  for (size_t i = 0; i < ps.size(); ++i)
    if (ps[i].pid <= 0 || ps[i].pid > (1 << 22) || !index.emplace(ps[i].pid, i).second)
      fail("the image's process tree has a bad or repeated pid {}", ps[i].pid);
  std::vector<bool> reached(ps.size());
  std::vector<size_t> todo{0};
  if (ps[0].pid != 1)  // a helper init forks every process without a parent
    for (size_t i = 1; i < ps.size(); ++i)
      if (ps[i].ppid == 0) todo.push_back(i);
  while (!todo.empty()) {
    size_t at = todo.back();
    todo.pop_back();
    if (reached[at]) continue;
    reached[at] = true;
    for (size_t i = 0; i < ps.size(); ++i)
      if (i != at && ps[i].ppid == ps[at].pid) {
        if (ps[at].zombie) fail("the image's zombie {} has children", ps[at].pid);
        todo.push_back(i);
      }
  }
  for (size_t i = 0; i < ps.size(); ++i)
    if (!reached[i]) fail("the image's process {} has no parent in its tree", ps[i].pid);
}

}  // namespace

ForkPlan::ForkPlan(records::ProcessTree tree, std::vector<records::ProcessState> states)
    : tree_(std::move(tree)), states_(std::move(states)) {
  check_tree(tree_, states_.size());
  void* page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) throw_errno("mmap the fork plan page");
  ready_ = new (page) std::atomic<int32_t>(0);
  go_ = new (static_cast<char*>(page) + 64) std::atomic<int32_t>(0);
  failed_ = new (static_cast<char*>(page) + 128) std::atomic<int32_t>(0);
  g_failed = failed_;
  tracer_.reset(static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0)));
  if (!tracer_) throw_errno("pidfd_open(self)");
}

ForkPlan::~ForkPlan() {
  ::munmap(ready_, 4096);
}

// In the root task until start(): a tracer that dies (kill -9) meanwhile takes the root task
// with it, instead of leaving it waiting for ever in the container's cgroup.
void ForkPlan::wait_for_start() const {
  while (go_->load() == 0) {
    timespec wait{0, 100 * 1000 * 1000};
    ::syscall(SYS_futex, go_, FUTEX_WAIT, 0, &wait, nullptr, 0);
    pollfd tracer{tracer_.get(), POLLIN, 0};
    if (::poll(&tracer, 1, 0) > 0) ::_exit(1);  // the tracer exited
  }
}

void ForkPlan::run_as_root(OpenedFiles* files, SessionHook on_session) {
  on_session_ = std::move(on_session);
  if (tree_.processes.empty()) die("empty process tree", 1);
  wait_for_start();
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
      exit_failed();
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
  if (!state.cwd.empty() && ::chdir(state.cwd.c_str()) != 0)
    std::fprintf(stderr, "ckpt restore: process %d: chdir %s: %m\n", pid, state.cwd.c_str());
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

void ForkPlan::wait_ready(int timeout_ms, pid_t root) const {
  int32_t want = static_cast<int32_t>(tree_.processes.size());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int32_t now = ready_->load();
    if (now >= want) return;
    if (int32_t failed = failed_->load())
      fail("{} of {} restored processes failed before they got ready (see the console log)",
           failed, want);
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(root), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == root)
      fail("the restored root task exited before its processes got ready");
    if (std::chrono::steady_clock::now() > deadline)
      fail("only {} of {} restored processes got ready", now, want);
    timespec wait{0, 10 * 1000 * 1000};
    ::syscall(SYS_futex, ready_, FUTEX_WAIT, now, &wait, nullptr, 0);
  }
}

}  // namespace ckpt::restore
