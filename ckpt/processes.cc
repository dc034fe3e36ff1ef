#include "ckpt/processes.h"

#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <filesystem>
#include <map>

#include "ckpt/creds.h"
#include "common/ptrace/injection.h"
#include "ckpt/mm.h"
#include "ckpt/posix_timers.h"
#include "ckpt/signals.h"
#include "ckpt/threads.h"
#include "common/cancel.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proc/stat.h"
#include "common/records/mm.h"
#include "common/records/process.h"
#include "common/records/threads.h"

namespace ckpt::dump {
namespace {

using image::SectionType;

std::vector<records::Rlimit> dump_rlimits(pid_t pid) {
  std::vector<records::Rlimit> limits(RLIM_NLIMITS);
  for (int resource = 0; resource < RLIM_NLIMITS; ++resource) {
    rlimit limit{};
    if (::prlimit(pid, static_cast<__rlimit_resource>(resource), nullptr, &limit) != 0)
      throw_errno("prlimit {} of {}", resource, pid);
    limits[resource] = {limit.rlim_cur, limit.rlim_max};
  }
  return limits;
}

int32_t injected_prctl_int(ptrace::Injection& injection, int option) {
  injection.main().checked("prctl", SYS_prctl, option, injection.scratch());
  int32_t value = 0;
  injection.read(0, &value, sizeof value);
  return value;
}

std::string link_of(pid_t pid, const char* name) {
  return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/" + name).string();
}

// What only system calls inside the process can tell.
void dump_injected(pid_t pid, const std::vector<pid_t>& tids, records::ProcessState& process,
                   records::ThreadsState& threads, records::MmState& mm,
                   records::PosixTimers& timers) {
  ptrace::Injection injection(pid, tids[0]);
  process.sigactions = dump_sigactions(injection, pid);
  process.itimers = dump_itimers(injection);
  std::map<pid_t, pid_t> ns_tid_of;
  for (size_t i = 0; i < tids.size(); ++i) ns_tid_of[tids[i]] = threads.threads[i].tid;
  timers = dump_posix_timers(injection, pid, ns_tid_of);
  process.pdeath_signal = injected_prctl_int(injection, PR_GET_PDEATHSIG);
  process.child_subreaper = injected_prctl_int(injection, PR_GET_CHILD_SUBREAPER) != 0;
  mm.fields.brk = injection.main().checked("brk", SYS_brk, 0);
  for (size_t i = 0; i < tids.size(); ++i) {
    threads.threads[i].altstack = dump_altstack(injection, tids[i]);
    threads.threads[i].clear_child_tid = dump_clear_child_tid(injection, tids[i]);
  }
}

void dump_process(const records::ProcessEntry& entry, const std::vector<pid_t>& tids, bool stopped,
                  image::ImageWriter& image, DeferredPages* deferred, PageIndex* index) {
  pid_t pid = entry.host_pid;
  records::ThreadsState threads;
  for (size_t i = 0; i < tids.size(); ++i) {
    pid_t ns_tid = i < entry.threads.size() ? entry.threads[i].ns_tid : 0;
    for (const auto& id : entry.threads)
      if (id.host_tid == tids[i]) ns_tid = id.ns_tid;
    if (ns_tid == 0) fail("thread {} of {} is not in the process tree", tids[i], pid);
    threads.threads.push_back(dump_thread(tids[i], ns_tid));
  }
  records::ProcessState process;
  records::MmState mm = collect_mm(pid, deferred ? deferred->earlier_mm(pid) : nullptr);
  records::PosixTimers timers;
  dump_injected(pid, tids, process, threads, mm, timers);
  process.shared_pending = dump_pending(pid, true);
  process.rlimits = dump_rlimits(pid);
  dump_creds(pid, process);
  process.cwd = link_of(pid, "cwd");
  process.root = link_of(pid, "root");
  process.personality =
      std::stoul(fs::read_line("/proc/" + std::to_string(pid) + "/personality"), nullptr, 16);
  proc::Stat stat = proc::read_stat(pid);
  process.comm = stat.comm;
  process.exit_signal = stat.exit_signal;
  process.stopped = stopped;

  if (deferred) {
    deferred->take(pid, mm);
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
                    image::ImageWriter& image, DeferredPages* deferred, PageIndex* index) {
  for (const auto& entry : tree.processes) {
    throw_if_cancelled();
    if (entry.zombie) {
      dump_zombie(entry, image);
      continue;
    }
    dump_process(entry, seized.threads(entry.host_pid), seized.was_stopped(entry.host_pid), image,
                 deferred, index);
  }
}

}  // namespace ckpt::dump
