#include "restore/mempolicy.h"

#include <sys/syscall.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>

#include "common/error.h"

namespace ckpt::restore {

namespace {

constexpr uint64_t kMaskAt = Restorer::kDataOffset;

// Writes the policy's nodes into the scratch area; returns maxnode for the call.
uint64_t put_nodes(Restorer& r, const records::MemPolicy& policy) {
  if (policy.nodes.size() > 16)
    fail("process {}: a NUMA policy of {} node words", r.ns_pid(), policy.nodes.size());
  if (!policy.nodes.empty())
    r.write(kMaskAt, policy.nodes.data(), policy.nodes.size() * sizeof(uint64_t));
  return policy.nodes.size() * 64 + 1;  // the kernel reads maxnode - 1 bits
}

std::string describe(const records::MemPolicy& policy) {
  return fmt::format("mode {:#x}, nodes {:#x}", static_cast<uint32_t>(policy.mode),
                     fmt::join(policy.nodes, ","));
}

}  // namespace

void restore_vma_policies(Restorer& r, const records::MmState& mm) {
  for (const auto& p : mm.vma_policies) {
    uint64_t maxnode = put_nodes(r, p.policy);
    uint64_t nodes = p.policy.nodes.empty() ? 0 : r.scratch() + kMaskAt;
    long ret = r.main().call(SYS_mbind, p.start, p.end - p.start,
                             static_cast<uint32_t>(p.policy.mode), nodes, maxnode, 0);
    if (ret != 0)
      fail("process {}: mbind {:#x}-{:#x} ({}): {}", r.ns_pid(), p.start, p.end,
           describe(p.policy), std::strerror(static_cast<int>(-ret)));
  }
}

void restore_thread_policies(Restorer& r, const records::ThreadsState& threads,
                             const std::vector<pid_t>& host_tids) {
  for (size_t i = 0; i < threads.threads.size() && i < host_tids.size(); ++i) {
    const auto& policy = threads.threads[i].mempolicy;
    if (!policy) continue;
    uint64_t maxnode = put_nodes(r, *policy);
    auto call = r.on_thread(host_tids[i]);
    long ret = call->call(SYS_set_mempolicy, static_cast<uint32_t>(policy->mode),
                          policy->nodes.empty() ? 0 : r.scratch() + kMaskAt, maxnode);
    if (ret != 0)
      fail("process {} thread {}: set_mempolicy ({}): {}", r.ns_pid(), threads.threads[i].tid,
           describe(*policy), std::strerror(static_cast<int>(-ret)));
  }
}

}  // namespace ckpt::restore
