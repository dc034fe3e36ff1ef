#include "ckpt/mempolicy.h"

#include <sys/syscall.h>

#include <array>
#include <set>
#include <sstream>
#include <string>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proc/pid_status.h"

namespace ckpt::dump {

namespace {

using records::MemPolicy;

constexpr uint64_t kMaxNodes = 1024;  // bits of the node mask asked for (MAX_NUMNODES at most)
constexpr uint64_t kMaskAt = 8;       // in the scratch area; the mode at 0
constexpr unsigned long kPolicyOfAddress = 2;  // MPOL_F_ADDR

// get_mempolicy(2) through `call`; `address` with MPOL_F_ADDR, else the thread's.
MemPolicy get_policy(ptrace::Injection& injection, ptrace::RemoteSyscall& call, uint64_t address,
                     unsigned long flags) {
  uint64_t scratch = injection.scratch();
  call.checked("get_mempolicy", SYS_get_mempolicy, scratch, scratch + kMaskAt, kMaxNodes, address,
               flags);
  MemPolicy policy;
  injection.read(0, &policy.mode, sizeof policy.mode);
  std::array<uint64_t, kMaxNodes / 64> mask{};
  injection.read(kMaskAt, mask.data(), sizeof mask);
  size_t used = mask.size();
  while (used > 0 && mask[used - 1] == 0) --used;
  policy.nodes.assign(mask.begin(), mask.begin() + static_cast<long>(used));
  return policy;
}

// Each mapping is asked by an injected call, unless numa_maps costs less: it names the ones
// with a policy, but walks every resident page. An injected call costs about as much as
// walking this many pages (measured here: 20-100 us a call, 0.05-0.15 us a page).
constexpr uint64_t kPagesPerCall = 500;

bool cheaper_through_numa_maps(pid_t pid, size_t mappings) {
  uint64_t resident_pages = proc::read_pid_status(pid).rss_kib / 4;
  return resident_pages < mappings * kPagesPerCall;
}

// The starts of the mappings numa_maps shows with a policy other than "default".
std::set<uint64_t> starts_with_policy(pid_t pid) {
  std::set<uint64_t> starts;
  std::istringstream lines(fs::read_file("/proc/" + std::to_string(pid) + "/numa_maps"));
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string start, policy;
    if (words >> start >> policy && policy != "default")
      starts.insert(std::stoull(start, nullptr, 16));
  }
  return starts;
}

}  // namespace

std::optional<MemPolicy> read_thread_policy(ptrace::Injection& injection,
                                            ptrace::RemoteSyscall& thread) {
  MemPolicy policy = get_policy(injection, thread, 0, 0);
  if (policy.mode == 0) return std::nullopt;
  return policy;
}

std::vector<records::VmaPolicy> read_vma_policies(ptrace::Injection& injection, pid_t pid,
                                                  const records::MmState& mm) {
  std::vector<records::VmaPolicy> policies;
  bool one_by_one = !cheaper_through_numa_maps(pid, mm.vmas.size());
  spdlog::debug("process {}: NUMA policies of {} mappings asked {}", pid, mm.vmas.size(),
                one_by_one ? "one by one" : "through numa_maps");
  std::set<uint64_t> candidates = one_by_one ? std::set<uint64_t>{} : starts_with_policy(pid);
  for (const auto& vma : mm.vmas) {
    if (records::is_kernel_made(vma.kind) || (!one_by_one && !candidates.count(vma.start))) continue;
    MemPolicy policy = get_policy(injection, injection.main(), vma.start, kPolicyOfAddress);
    if (policy.mode != 0) policies.push_back({vma.start, vma.end, std::move(policy)});
  }
  return policies;
}

}  // namespace ckpt::dump
