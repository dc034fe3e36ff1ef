#include "restore/seize.h"

#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include <algorithm>
#include <utility>

#include "common/error.h"
#include "common/log.h"
#include "common/proc/maps.h"
#include "common/ptrace/remote_memory.h"
#include "common/ptrace/tracee.h"

namespace ckpt::restore {
namespace {

constexpr uint64_t kLowest = 1ull << 20;
constexpr uint64_t kHighest = 0x7ffffffff000ull;
constexpr int kRseqUnregister = 1;

}  // namespace

Restorer::Restorer(pid_t host_pid, pid_t ns_pid, const records::MmState& target)
    : host_pid_(host_pid), ns_pid_(ns_pid) {
  if (!ptrace::seize(host_pid, ptrace::default_options() | PTRACE_O_TRACECLONE) ||
      !ptrace::interrupt(host_pid))
    fail("restored process {} vanished", ns_pid);
  while (ptrace::event_of(ptrace::wait_stop(host_pid)) != PTRACE_EVENT_STOP)
    ptrace::resume(host_pid, false);
  injection_ = std::make_unique<ptrace::Injection>(
      host_pid, host_pid, ptrace::ScratchSpec{choose_scratch(target), kScratchSize, true});
  ptrace::RseqConfig rseq = ptrace::get_rseq(host_pid);
  if (rseq.size)
    main().checked("rseq unregister", SYS_rseq, rseq.address, rseq.size, kRseqUnregister,
                   rseq.signature);
}

Restorer::~Restorer() = default;

// The lowest address with kScratchSize free in both the current and the target layout.
uint64_t Restorer::choose_scratch(const records::MmState& target) const {
  std::vector<std::pair<uint64_t, uint64_t>> used;
  for (const auto& map : proc::read_maps(host_pid_)) used.emplace_back(map.start, map.end);
  for (const auto& vma : target.vmas) used.emplace_back(vma.start, vma.end);
  std::sort(used.begin(), used.end());
  uint64_t candidate = kLowest;
  for (const auto& [start, end] : used) {
    if (start >= candidate + kScratchSize + (1u << 20)) break;
    candidate = std::max(candidate, end + (1u << 20));  // a margin from neighbours (stack guard)
  }
  if (candidate + kScratchSize > kHighest)
    fail("no room for a scratch area in process {}", ns_pid_);
  return candidate;
}

uint64_t Restorer::put_path(const std::string& path) const {
  if (path.size() + 1 > kDataOffset - kPathOffset) fail("path too long: {}", path);
  write(kPathOffset, path.c_str(), path.size() + 1);
  return scratch() + kPathOffset;
}

void Restorer::detach(const std::vector<pid_t>& host_tids) {
  for (pid_t tid : host_tids) ptrace::detach(tid);
}

}  // namespace ckpt::restore
