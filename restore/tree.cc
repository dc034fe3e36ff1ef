#include "restore/tree.h"

#include <fcntl.h>
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
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <cstring>
#include <set>

#include "common/error.h"
#include "common/log.h"
#include "common/ns/clone.h"
#include "restore/creds.h"
#include "restore/files_removed_dirs.h"

namespace ckpt::restore {
namespace {

// A process writes its own audit login uid (root: CAP_AUDIT_CONTROL); it inherited its parent's.
bool set_loginuid(uint32_t loginuid) {
  char now[16] = {};
  int fd = ::open("/proc/self/loginuid", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = ::read(fd, now, sizeof now - 1);
  ::close(fd);
  if (n > 0 && std::strtoul(now, nullptr, 10) == loginuid) return true;
  std::string text = std::to_string(loginuid);
  fd = ::open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return written;
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

std::set<int32_t> subreapers_of(const records::ProcessTree& tree,
                                const std::vector<records::ProcessState>& states) {
  std::set<int32_t> out;
  for (size_t i = 0; i < tree.processes.size() && i < states.size(); ++i)
    if (states[i].child_subreaper) out.insert(tree.processes[i].pid);
  return out;
}

// No alternate signal stack: one the restoring ckpt set up (a sanitizer's, for its SIGSEGV
// handler) would point into memory the restored process no longer has, and every handler
// installed with SA_ONSTACK would fault on delivery. The tracer sets the dumped one.
void disable_signal_stack() {
  stack_t none{};
  none.ss_flags = SS_DISABLE;
  ::syscall(SYS_sigaltstack, &none, nullptr);
}

// Every action back to SIG_DFL by the raw system call: glibc's signal() refuses its own
// signals 32 and 33 (SIGCANCEL, SIGSETXID), whose handlers of the restoring ckpt would stay.
void reset_signal_actions() {
  struct {
    uint64_t handler = 0, flags = 0, restorer = 0, mask = 0;
  } dfl;  // struct kernel_sigaction: SIG_DFL, nothing blocked
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, 8);
}

constexpr const char* kInstalling = "installing its files";
constexpr const char* kInstallingPidfds = "installing its pidfds";

void futex_wake(std::atomic<int32_t>& word) {
  ::syscall(SYS_futex, &word, FUTEX_WAKE, INT32_MAX, nullptr, nullptr, 0);
}

}  // namespace

// What the tracer and every forked process share (a MAP_SHARED page).
struct ForkPlan::SharedPage {
  std::atomic<int32_t> step{kWait};  // set by the tracer
  std::atomic<int32_t> forked{0};    // processes (and helpers) through each step
  std::atomic<int32_t> joined{0};
  std::atomic<int32_t> settled{0};   // live processes only: helpers and zombies are gone
  std::atomic<int32_t> failed{0};    // the pid of the first process that could not be made
  char why[256]{};                   // ... and why (written before `failed`)
};

ForkPlan::ForkPlan(records::ProcessTree tree, std::vector<records::ProcessState> states)
    : tree_(std::move(tree)), states_(std::move(states)) {
  check_tree(tree_, states_.size());
  order_ = plan_fork_order(tree_, subreapers_of(tree_, states_));
  static_assert(sizeof(SharedPage) <= 4096);
  void* page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) throw_errno("mmap the fork plan page");
  shared_ = new (page) SharedPage();
  tracer_.reset(static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0)));
  if (!tracer_) throw_errno("pidfd_open(self)");
}

ForkPlan::~ForkPlan() {
  ::munmap(shared_, 4096);
}

const records::ProcessEntry& ForkPlan::entry(size_t slot) const {
  return is_helper(slot) ? order_.helpers[slot - tree_.processes.size()] : tree_.processes[slot];
}

// In forked children nothing may throw past here: the tracer is told at once (wait_ready), and
// the process exits.
void ForkPlan::die(pid_t pid, const char* what, const char* why) const {
  std::fprintf(stderr, "ckpt restore: process %d: %s: %s\n", pid, what, why);
  int32_t none = 0;
  if (shared_->failed.load() == 0) {
    std::snprintf(shared_->why, sizeof shared_->why, "%s: %s", what, why);
    shared_->failed.compare_exchange_strong(none, pid);
  }
  futex_wake(shared_->step);  // the tracer sleeps on `step` (wait_count)
  ::_exit(70);
}

void ForkPlan::die(pid_t pid, const char* what) const {
  die(pid, what, std::strerror(errno));
}

// In the root task until start(): a tracer that dies (kill -9) meanwhile takes the root task
// with it, instead of leaving it waiting for ever in the container's cgroup.
void ForkPlan::wait_for_start() const {
  while (shared_->step.load() == kWait) {
    timespec wait{0, 100 * 1000 * 1000};
    ::syscall(SYS_futex, &shared_->step, FUTEX_WAIT, kWait, &wait, nullptr, 0);
    pollfd tracer{tracer_.get(), POLLIN, 0};
    if (::poll(&tracer, 1, 0) > 0) ::_exit(1);  // the tracer exited
  }
}

void ForkPlan::run_as_root(OpenedFiles* files, SessionHook on_session) {
  on_session_ = std::move(on_session);
  if (tree_.processes.empty()) die(1, "empty process tree", "");
  wait_for_start();
  if (tree_.processes[0].pid == 1) become(0, files);
  // The image's init is not pid 1 (a plain process tree): a helper init forks it and reaps.
  for (size_t slot = 0; slot < order_.forker.size(); ++slot)
    if (order_.forker[slot] == 0) fork_child(slot, files);
  ::close_range(0, ~0u, 0);  // the helper holds nothing of the tracer's
  while (::waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
  }
  ::_exit(0);
}

void ForkPlan::fork_child(size_t slot, OpenedFiles* files) {
  const auto& e = entry(slot);
  pid_t tid = e.pid;
  pid_t pid = 0;
  int exit_signal = is_helper(slot) ? SIGCHLD : states_[slot].exit_signal;
  uint64_t flags = (e.shares_parent_files ? CLONE_FILES : 0) | (e.shares_parent_fs ? CLONE_FS : 0);
  try {
    pid = ns::clone_fork(flags, std::span(&tid, 1), exit_signal);
  } catch (const Error& err) {
    errno = err.err();
    die(e.pid, "clone3 with set_tid");
  }
  if (pid == 0) is_helper(slot) ? become_helper(slot, files) : become(slot, files);
}

void ForkPlan::fork_children(size_t slot, OpenedFiles* files) {
  pid_t me = entry(slot).pid;
  for (size_t i = 0; i < order_.forker.size(); ++i)
    if (order_.forker[i] == me && i != slot) fork_child(i, files);
}

void ForkPlan::make_own_group(const records::ProcessEntry& e) {
  if (e.sid == e.pid && ::getsid(0) != e.pid && ::setsid() < 0) die(e.pid, "setsid");
  if (e.pgid == e.pid && ::getpgid(0) != e.pid && ::setpgid(0, 0) < 0) die(e.pid, "setpgid");
}

void ForkPlan::join_group(const records::ProcessEntry& e) {
  if (::getpgid(0) != e.pgid && ::setpgid(0, e.pgid) < 0) {
    std::string what = "setpgid to group " + std::to_string(e.pgid);
    die(e.pid, what.c_str());
  }
}

void ForkPlan::become(size_t slot, OpenedFiles* files) {
  const auto& e = entry(slot);
  if (e.sid == e.pid && ::getsid(0) != e.pid && ::setsid() < 0) die(e.pid, "setsid");
  if (!e.zombie && on_session_) on_session_(e.pid);
  // Before its children: an orphan of a helper it forks comes back to it, as it did.
  if (states_[slot].child_subreaper && ::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
    die(e.pid, "prctl(PR_SET_CHILD_SUBREAPER)");
  fork_children(slot, files);
  make_own_group(e);
  if (e.zombie) exit_as_zombie(e);
  // fds before rlimits: a lowered RLIMIT_NOFILE would refuse high fd numbers. A table shared
  // with children is installed once they have forked theirs (every process is forked in the
  // join step); a child sharing its parent's installs nothing of it.
  bool shared_table = !e.shares_parent_files && shares_files_with_children(slot);
  if (!e.shares_parent_files && !shared_table)
    files_step(e.pid, files, &OpenedFiles::install_fds, kInstalling);
  pass(shared_->forked, kJoin);
  if (shared_table) files_step(e.pid, files, &OpenedFiles::install_fds, kInstalling);
  // Every process exists now: the fds that refer to others (in two steps, the second once every
  // process is through the first), then the rlimits (which may lower RLIMIT_NOFILE below them).
  if (!e.shares_parent_files)
    files_step(e.pid, files, &OpenedFiles::open_late_fds, kInstallingPidfds);
  join_group(e);
  pass(shared_->joined, kExit);
  if (e.shares_parent_files) {
    files_step(e.pid, files, &OpenedFiles::install_shared_fds, kInstalling);  // its owner's are in
  } else {
    files_step(e.pid, files, &OpenedFiles::take_shared_late_fds, kInstallingPidfds);
  }
  set_own_state(slot);
  settle_children(e.pid);
  count(shared_->settled);
  for (;;) ::pause();  // the tracer takes over from here
}

bool ForkPlan::shares_files_with_children(size_t slot) const {
  if (is_helper(slot)) return false;
  for (const auto& p : tree_.processes)
    if (p.shares_parent_files && p.ppid == tree_.processes[slot].pid) return true;
  return false;
}

void ForkPlan::files_step(pid_t pid, OpenedFiles* files, void (OpenedFiles::*step)(pid_t),
                          const char* what) const {
  if (!files) return;
  try {
    (files->*step)(pid);
  } catch (const std::exception& err) {
    die(pid, what, err.what());
  }
}

// Stands in for a gone session or group leader until every process joined its group. The
// processes it forks install their files as any other (they held the tracer's otherwise).
void ForkPlan::become_helper(size_t slot, OpenedFiles* files) {
  const auto& e = entry(slot);
  ::prctl(PR_SET_NAME, e.comm.c_str());
  make_own_group(e);
  fork_children(slot, files);
  pass(shared_->forked, kJoin);
  pass(shared_->joined, kExit);
  settle_children(e.pid);
  ::_exit(0);
}

// Exits as the dumped zombie did, in its process group, leaving its status to its parent.
void ForkPlan::exit_as_zombie(const records::ProcessEntry& e) {
  pass(shared_->forked, kJoin);
  join_group(e);
  count(shared_->joined);
  if (WIFSIGNALED(e.exit_status)) {
    int sig = WTERMSIG(e.exit_status);
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);  // no core file (the status loses its core flag)
    ::signal(sig, SIG_DFL);
    sigset_t all;
    sigfillset(&all);
    ::sigprocmask(SIG_UNBLOCK, &all, nullptr);
    ::kill(::getpid(), sig);
  }
  ::_exit(WEXITSTATUS(e.exit_status));
}

void ForkPlan::settle_children(pid_t pid) {
  for (size_t slot = 0; slot < order_.forker.size(); ++slot) {
    if (order_.forker[slot] != pid) continue;
    const auto& child = entry(slot);
    if (is_helper(slot)) {
      if (::waitpid(child.pid, nullptr, __WALL) != child.pid) die(child.pid, "reaping the helper");
    } else if (child.zombie) {
      siginfo_t info{};
      if (::waitid(P_PID, child.pid, &info, WEXITED | WNOWAIT | __WALL) != 0)
        die(child.pid, "waiting for the zombie to exit");
    }
  }
}

void ForkPlan::count(std::atomic<int32_t>& counter) {
  counter.fetch_add(1);
  futex_wake(shared_->step);
}

void ForkPlan::pass(std::atomic<int32_t>& counter, Step next) {
  count(counter);
  for (int32_t step; (step = shared_->step.load()) < next;)
    ::syscall(SYS_futex, &shared_->step, FUTEX_WAIT, step, nullptr, nullptr, 0);
}

// What a process can set on itself; the rest is injected by the tracer.
void ForkPlan::set_own_state(size_t index) {
  const auto& state = states_[index];
  pid_t pid = tree_.processes[index].pid;
  if (tree_.processes[index].shares_parent_fs) {
    // cwd and umask are its parent's, which sets them (as the tracer sets its root).
  } else if (is_removed_cwd(state.cwd)) {
    if (!enter_removed_cwd(state.cwd)) die(pid, ("removed working directory " + state.cwd).c_str());
  } else if (!state.cwd.empty() && ::chdir(state.cwd.c_str()) != 0) {
    std::fprintf(stderr, "ckpt restore: process %d: chdir %s: %m\n", pid, state.cwd.c_str());
  }
  if (!tree_.processes[index].shares_parent_fs) ::umask(state.umask);
  reset_signal_actions();  // the tracer sets the dumped ones
  disable_signal_stack();
  ::prctl(PR_SET_NAME, state.comm.c_str());
  // Exactly as dumped (refuse_unsettable_rlimits checked before anything was made).
  for (size_t r = 0; r < state.rlimits.size(); ++r) {
    rlimit limit{state.rlimits[r].soft, state.rlimits[r].hard};
    if (::setrlimit(static_cast<__rlimit_resource>(r), &limit) != 0) die(pid, rlimit_name(r));
  }
  if (::personality(state.personality) < 0) die(pid, "personality");
  if (state.loginuid && !set_loginuid(*state.loginuid)) die(pid, "writing its loginuid");
}

void ForkPlan::set_step(Step step) const {
  shared_->step.store(step);
  futex_wake(shared_->step);
}

void ForkPlan::start() {
  set_step(kFork);
}

void ForkPlan::wait_count(const std::atomic<int32_t>& counter, int32_t want,
                          std::chrono::steady_clock::time_point deadline,
                          const std::function<void()>& check) const {
  for (;;) {
    if (int32_t pid = shared_->failed.load())
      fail("restored process {} could not be made: {}", pid, shared_->why);
    int32_t step = shared_->step.load();
    int32_t now = counter.load();
    if (now >= want) return;
    if (check) check();
    if (std::chrono::steady_clock::now() > deadline)
      fail("only {} of {} restored processes got ready", now, want);
    timespec wait{0, 10 * 1000 * 1000};
    ::syscall(SYS_futex, &shared_->step, FUTEX_WAIT, step, &wait, nullptr, 0);
  }
}

void ForkPlan::wait_ready(int timeout_ms, const std::function<void()>& check) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int32_t all = static_cast<int32_t>(order_.forker.size());
  int32_t live = 0;
  for (const auto& p : tree_.processes) live += p.zombie ? 0 : 1;
  wait_count(shared_->forked, all, deadline, check);
  set_step(kJoin);
  wait_count(shared_->joined, all, deadline, check);
  set_step(kExit);
  wait_count(shared_->settled, live, deadline, check);
}

}  // namespace ckpt::restore
