#include "ckpt/processes.h"

#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <filesystem>
#include <map>
#include <set>

#include "ckpt/cow_shared.h"
#include "ckpt/mempolicy.h"
#include "ckpt/creds.h"
#include "common/ptrace/injection.h"
#include "ckpt/mm.h"
#include "ckpt/posix_timers.h"
#include "ckpt/seccomp.h"
#include "ckpt/signals.h"
#include "ckpt/threads.h"
#include "common/cancel.h"
#include "common/error.h"
#include "common/fork_order.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proc/limits.h"
#include "common/sched_attr.h"
#include "common/task_tuning.h"
#include "common/proc/stat.h"
#include "common/records/mm.h"
#include "common/records/process.h"
#include "common/records/threads.h"

namespace ckpt::dump {
namespace {

using image::SectionType;

// From /proc/PID/limits: prlimit() of a process of another uid needs CAP_SYS_RESOURCE.
std::vector<records::Rlimit> dump_rlimits(pid_t pid) {
  std::vector<records::Rlimit> limits;
  for (const auto& limit : proc::read_limits(pid)) limits.push_back({limit.soft, limit.hard});
  return limits;
}

int32_t injected_prctl_int(ptrace::Injection& injection, int option) {
  injection.main().checked("prctl", SYS_prctl, option, injection.scratch());
  int32_t value = 0;
  injection.read(0, &value, sizeof value);
  return value;
}

// prctl(PR_GET_TSC) of one thread: whether it may read the time stamp counter.
int32_t dump_tsc_mode(ptrace::Injection& injection, ptrace::RemoteSyscall& thread) {
  thread.checked("prctl(PR_GET_TSC)", SYS_prctl, PR_GET_TSC, injection.scratch());
  int32_t mode = 0;
  injection.read(0, &mode, sizeof mode);
  return mode;
}

// The audit login uid; nullopt on a kernel without audit.
std::optional<uint32_t> read_loginuid(pid_t pid) {
  auto text = fs::try_read_file("/proc/" + std::to_string(pid) + "/loginuid");
  if (!text) return std::nullopt;
  return static_cast<uint32_t>(std::stoul(fs::trim(*text)));
}

std::string link_of(pid_t pid, const char* name) {
  return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/" + name).string();
}

// A removed working directory is made again (and removed) in its parent, which must exist.
void check_removed_cwd(pid_t pid, const std::string& cwd) {
  constexpr std::string_view kDeleted = " (deleted)";
  if (!cwd.ends_with(kDeleted)) return;
  std::filesystem::path dir(cwd.substr(0, cwd.size() - kDeleted.size()));
  std::string parent_seen_by_it = "/proc/" + std::to_string(pid) + "/root" + dir.parent_path().string();
  std::error_code ec;
  if (!std::filesystem::is_directory(parent_seen_by_it, ec))
    fail("pid {}: its working directory {} was removed with its parent: cannot restore it", pid,
         dir.string());
}

// What only system calls inside the process can tell.
void dump_injected(pid_t pid, const std::vector<pid_t>& tids, records::ProcessState& process,
                   records::ThreadsState& threads, records::MmState& mm,
                   records::PosixTimers& timers) {
  ptrace::Injection injection(pid, tids[0]);
  refuse_process_keyrings(injection, pid);
  process.sigactions = dump_sigactions(injection, pid);
  process.itimers = dump_itimers(injection);
  std::map<pid_t, pid_t> ns_tid_of;
  for (size_t i = 0; i < tids.size(); ++i) ns_tid_of[tids[i]] = threads.threads[i].tid;
  timers = dump_posix_timers(injection, pid, ns_tid_of);
  process.pdeath_signal = injected_prctl_int(injection, PR_GET_PDEATHSIG);
  process.dumpable =
      static_cast<int32_t>(injection.main().checked("prctl", SYS_prctl, PR_GET_DUMPABLE));
  process.child_subreaper = injected_prctl_int(injection, PR_GET_CHILD_SUBREAPER) != 0;
  process.creds.securebits =
      static_cast<uint32_t>(injection.main().checked("prctl", SYS_prctl, PR_GET_SECUREBITS));
  mm.fields.brk = injection.main().checked("brk", SYS_brk, 0);
  collect_mm_settings(injection.main(), mm);
  mm.vma_policies = read_vma_policies(injection, pid, mm);
  for (size_t i = 0; i < tids.size(); ++i) {
    // One hold on each thread for all its calls (each hold writes the recovery journal).
    auto other = i == 0 ? nullptr : injection.on_thread(tids[i]);
    ptrace::RemoteSyscall& thread = other ? *other : injection.main();
    records::ThreadState& state = threads.threads[i];
    refuse_thread_keyring(thread, pid, tids[i]);
    state.altstack = dump_altstack(injection, thread);
    state.clear_child_tid = dump_clear_child_tid(injection, thread);
    state.tuning->tsc_mode = dump_tsc_mode(injection, thread);
    state.tuning->mce_kill =
        static_cast<int32_t>(thread.checked("prctl(PR_MCE_KILL_GET)", SYS_prctl, PR_MCE_KILL_GET));
    state.mempolicy = read_thread_policy(injection, thread);
    if (state.own_creds)
      state.own_creds->securebits =
          static_cast<uint32_t>(thread.checked("prctl", SYS_prctl, PR_GET_SECUREBITS));
  }
}

// `stop_signal`: what stopped it (a group stop) or 0. Returns whether it is a child subreaper.
// `cow`: finds the pages it shares copy-on-write with its parent (null: none are looked for).
bool dump_process(const records::ProcessEntry& entry, const std::vector<pid_t>& tids,
                  int stop_signal, image::ImageWriter& image, DeferredPages* deferred,
                  PageIndex* index, CowSharing* cow, LatePages* late) {
  pid_t pid = entry.host_pid;
  records::ThreadsState threads;
  for (size_t i = 0; i < tids.size(); ++i) {
    pid_t ns_tid = i < entry.threads.size() ? entry.threads[i].ns_tid : 0;
    for (const auto& id : entry.threads)
      if (id.host_tid == tids[i]) ns_tid = id.ns_tid;
    if (ns_tid == 0) fail("thread {} of {} is not in the process tree", tids[i], pid);
    threads.threads.push_back(dump_thread(tids[i], ns_tid));
    threads.threads.back().sched = read_sched(tids[i]);
    threads.threads.back().tuning = read_task_tuning(tids[i]);
  }
  records::ProcessState process;
  records::MmState mm = collect_mm(pid, deferred ? deferred->earlier_mm(pid) : nullptr);
  records::PosixTimers timers;
  dump_creds(pid, tids, process, threads);  // before the securebits, which injection reads
  dump_injected(pid, tids, process, threads, mm, timers);
  process.shared_pending = dump_pending(pid, true);
  process.rlimits = dump_rlimits(pid);
  process.cwd = link_of(pid, "cwd");
  check_removed_cwd(pid, process.cwd);
  process.root = link_of(pid, "root");
  process.loginuid = read_loginuid(pid);
  process.personality =
      std::stoul(fs::read_line("/proc/" + std::to_string(pid) + "/personality"), nullptr, 16);
  proc::Stat stat = proc::read_stat(pid);
  process.comm = stat.comm;
  process.exit_signal = stat.exit_signal;
  process.stopped = stop_signal != 0;
  process.stop_signal = stop_signal;
  process.seccomp = dump_seccomp(pid, tids);
  if (cow) cow->find(entry, mm);  // those pages are left out of its own

  if (deferred) {
    deferred->take(pid, mm);
  } else if (late) {
    records::Pagemap pagemap = late->plan(pid, mm, index ? index->parent_pages(pid) : nullptr);
    if (index) index->add(pid, pagemap);
    image.put(SectionType::kPagemap, pid, pagemap);
  } else {
    auto stream = image.open_stream(SectionType::kPages, pid);
    records::Pagemap pagemap =
        dump_pages(pid, mm, *stream, index ? index->parent_pages(pid) : nullptr);
    stream->close();
    if (index) index->add(pid, pagemap);
    image.put(SectionType::kPagemap, pid, pagemap);
  }
  spdlog::debug("process {}: {} threads, {} vmas", pid, tids.size(), mm.vmas.size());
  image.put(SectionType::kMm, pid, mm);
  image.put(SectionType::kThreads, pid, threads);
  image.put(SectionType::kProcess, pid, process);
  if (!timers.timers.empty()) image.put(SectionType::kPosixTimers, pid, timers);
  return process.child_subreaper;
}

// A zombie has no memory, threads or files left: only what its restored self needs to exit as it
// did (records::ProcessEntry holds its status).
void dump_zombie(const records::ProcessEntry& entry, image::ImageWriter& image) {
  records::ProcessState process;
  process.comm = entry.comm;
  process.exit_signal = proc::read_stat(entry.host_pid).exit_signal;
  image.put(SectionType::kProcess, static_cast<uint64_t>(entry.host_pid), process);
  spdlog::debug("process {}: a zombie (status {:#x})", entry.host_pid, entry.exit_status);
}

}  // namespace

void dump_processes(const records::ProcessTree& tree, const SeizedProcesses& seized,
                    image::ImageWriter& image, DeferredPages* deferred, PageIndex* index,
                    bool keep_cow_sharing, LatePages* late) {
  std::set<int32_t> subreapers;
  CowSharing cow(tree);
  for (const auto& entry : tree.processes) {
    throw_if_cancelled();
    if (entry.zombie) {
      dump_zombie(entry, image);
      continue;
    }
    if (dump_process(entry, seized.threads(entry.host_pid), seized.stop_signal(entry.host_pid),
                     image, deferred, index, keep_cow_sharing ? &cow : nullptr, late))
      subreapers.insert(entry.pid);
  }
  plan_fork_order(tree, subreapers);  // refuses sessions and groups a restore could not make
}

}  // namespace ckpt::dump
