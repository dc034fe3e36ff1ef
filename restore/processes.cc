#include "restore/processes.h"

#include <linux/seccomp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "common/cancel.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proc/mountinfo.h"
#include "common/proc/pid_status.h"
#include "common/proc/tasks.h"
#include "common/ptrace/tracee.h"
#include "common/records/mm.h"
#include "common/records/process.h"
#include "common/records/sem_undo.h"
#include "common/records/threads.h"
#include "restore/creds.h"
#include "restore/mempolicy.h"
#include "restore/mm.h"
#include "restore/pidfds.h"
#include "restore/posix_timers.h"
#include "restore/restore.h"
#include "restore/sched.h"
#include "restore/seccomp.h"
#include "restore/sem_undo.h"
#include "restore/signals.h"
#include "restore/threads.h"

namespace ckpt::restore {
namespace {

using image::SectionType;

constexpr int kReadyTimeoutMs = 30000;

// A process that chroot()ed is chrooted again, once its files are open and its memory is mapped
// (both by paths from the container's root).
void restore_root(Restorer& r, const std::string& root, const std::string& container_root) {
  if (root.empty() || root == container_root) return;
  r.main().checked("chroot", SYS_chroot, r.put_path(proc::path_in_root(root, container_root)));
}

// Every descendant of `root` (itself included), ns pid -> host pid.
void collect_descendants(pid_t root, std::map<pid_t, pid_t>& ns_to_host) {
  ns_to_host[proc::read_innermost_pid(root)] = root;
  for (pid_t child : proc::list_children(root)) collect_descendants(child, ns_to_host);
}

// The signals the restore's own exits queued to `pid`: a helper's SIGCHLD, and the exit signal
// of each of its children restored as a zombie.
uint64_t exit_signals_of_children(const records::ProcessTree& tree, pid_t pid,
                                  const image::ImageReader& image) {
  uint64_t mask = 1ull << (SIGCHLD - 1);
  for (const auto& child : tree.processes) {
    if (child.ppid != pid || !child.zombie) continue;
    uint64_t id = static_cast<uint64_t>(child.host_pid);
    int sig = image.get<records::ProcessState>(SectionType::kProcess, id).exit_signal;
    if (sig > 0 && sig <= 64) mask |= 1ull << (sig - 1);
  }
  return mask;
}

bool shares_parent_table(const records::ProcessEntry& entry) {
  return entry.shares_parent_files || entry.shares_parent_fs;
}

// The tree's order (parents first), but a child sharing its parent's fd table or root (CLONE_FILES,
// CLONE_FS) before that parent: the parent closes the shared memory fds its children still map
// from, and its chroot would change the root the child's files are opened from.
void add_in_restore_order(const records::ProcessTree& tree, size_t i, std::vector<size_t>& order) {
  for (size_t child = 0; child < tree.processes.size(); ++child)
    if (shares_parent_table(tree.processes[child]) &&
        tree.processes[child].ppid == tree.processes[i].pid)
      add_in_restore_order(tree, child, order);
  order.push_back(i);
}

std::vector<size_t> restore_order(const records::ProcessTree& tree) {
  std::vector<size_t> order;
  for (size_t i = 0; i < tree.processes.size(); ++i)
    if (!shares_parent_table(tree.processes[i])) add_in_restore_order(tree, i, order);
  return order;
}

}  // namespace

ProcessesRestore::ProcessesRestore(const image::ImageReader& image,
                                   const chain::ImageChain* chain, const HeldPages* held,
                                   PostCopy* post_copy)
    : image_(image), held_(held), post_copy_(post_copy), chain_(chain) {
  auto tree = image.get<records::ProcessTree>(SectionType::kProcessTree, 0);
  std::vector<records::ProcessState> states;
  for (const auto& entry : tree.processes)
    states.push_back(image.get<records::ProcessState>(SectionType::kProcess, entry.host_pid));
  if (!states.empty()) container_root_ = states.front().root;
  for (const auto& entry : tree.processes)
    if (!entry.zombie)
      mms_[entry.pid] = image.get<records::MmState>(SectionType::kMm, entry.host_pid);
  // The pages shared copy-on-write come from their owners' streams, read again for the memory
  // stage: a streamed image holds those streams in memory until then.
  image.hold_page_streams(true);
  cow_regions_ = std::make_unique<CowRegions>(tree, mms_, [&](const records::ProcessEntry& entry) {
    uint64_t id = static_cast<uint64_t>(entry.host_pid);
    return page_sources_of(entry, image_.get<records::Pagemap>(SectionType::kPagemap, id));
  });
  image.hold_page_streams(false);
  plan_ = std::make_unique<ForkPlan>(std::move(tree), std::move(states));
  if (image.has(SectionType::kFiles, 0))
    files_ = image.get<records::FilesState>(SectionType::kFiles, 0);
}

ProcessesRestore::~ProcessesRestore() {
  for (auto& [pid, tids] : stopped_threads_) ::kill(pid, SIGKILL);
}

void ProcessesRestore::fork_tree(pid_t root_host_pid) {
  cow_regions_->release();  // the root task holds them now
  plan_->start();
  plan_->wait_ready(kReadyTimeoutMs, [root_host_pid] {
    siginfo_t info{};
    if (::waitid(P_PID, root_host_pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid)
      fail("the restored init died (signal or status {}) before the tree was made",
           info.si_status);
  });
  collect_descendants(root_host_pid, host_pids_);
}

void ProcessesRestore::restore() {
  for (size_t i : restore_order(plan_->tree())) {
    throw_if_cancelled();
    if (!plan_->tree().processes[i].zombie) restore_process(i);  // a zombie exited by itself
  }
}

void ProcessesRestore::restore_process(size_t index) {
  const auto& entry = plan_->tree().processes[index];
  auto host = host_pids_.find(entry.pid);
  if (host == host_pids_.end()) fail("restored process {} not found", entry.pid);
  uint64_t id = static_cast<uint64_t>(entry.host_pid);
  const records::MmState& mm = mms_.at(entry.pid);
  auto pagemap = image_.get<records::Pagemap>(SectionType::kPagemap, id);
  auto threads = image_.get<records::ThreadsState>(SectionType::kThreads, id);
  auto process = image_.get<records::ProcessState>(SectionType::kProcess, id);

  Restorer r(host->second, entry.pid, mm);
  stopped_threads_[host->second] = {host->second};
  restore_mm(r, mm, pagemap, image_, page_sources_of(entry, pagemap), held_, id, post_copy_,
             cow_regions_->uses_of(entry.pid), entry.shares_parent_files);
  if (!entry.shares_parent_fs) restore_root(r, process.root, container_root_);  // else its parent's
  stage_done(Stage::kMemory);
  drop_pending(r, exit_signals_of_children(plan_->tree(), entry.pid, image_));
  restore_sigactions(r, process.sigactions);
  std::vector<pid_t> host_tids = create_threads(r, threads);
  stopped_threads_[host->second] = host_tids;
  restore_secondary_threads(r, threads, host_tids);
  restore_thread_policies(r, threads, host_tids);
  open_thread_pidfds(r, files_);
  restore_main_thread(r, threads.threads[0]);
  requeue_signals(r, r.main(), 0, process.shared_pending);
  if (process.stopped)
    group_stopped_[host->second] = process.stop_signal ? process.stop_signal : SIGSTOP;
  if (image_.has(SectionType::kSemUndo, id))
    restore_sem_undo(r, image_.get<records::SemUndo>(SectionType::kSemUndo, id));
  // Filters a process could install only while privileged go in before its credentials.
  bool filters_first = seccomp_filters_need_privilege(process);
  if (filters_first) install_seccomp_filters(r, process.seccomp, host_tids.size());
  restore_creds(r, process, threads, host_tids);
  restore_itimers(r, process.itimers);
  if (image_.has(SectionType::kPosixTimers, id))
    restore_posix_timers(r, image_.get<records::PosixTimers>(SectionType::kPosixTimers, id));
  restore_sched(threads, host_tids);
  deny_write_execute(r, mm);
  if (!filters_first) install_seccomp_filters(r, process.seccomp, host_tids.size());
  if (process.seccomp.mode == SECCOMP_MODE_STRICT) enter_seccomp_strict(r, threads, host_tids);
  r.finish(resume_regs(threads.threads[0]), threads.threads[0].sigmask);
  restore_syscall_dispatch(r, threads, host_tids);
  spdlog::debug("process {} restored (host pid {}, {} threads)", entry.pid, host->second,
                host_tids.size());
}

std::vector<chain::PageSource> ProcessesRestore::page_sources_of(
    const records::ProcessEntry& entry, const records::Pagemap& pagemap) const {
  uint64_t id = static_cast<uint64_t>(entry.host_pid);
  if (chain_) return chain::page_sources(*chain_, entry.pid, id, pagemap);
  return {chain::own_pages(image_, id, pagemap)};
}

void ProcessesRestore::resume() {
  for (auto& [pid, tids] : stopped_threads_) {
    // Queued while traced, taken as the process leaves ptrace: it stops before running again.
    auto stop = group_stopped_.find(pid);
    if (stop != group_stopped_.end() && ::kill(pid, stop->second) != 0)
      throw_errno("stop restored process {} again", pid);
    for (pid_t tid : tids) ptrace::detach(tid);
  }
  stopped_threads_.clear();
}

}  // namespace ckpt::restore
