// NUMA memory policies (records::MemPolicy): each thread's (set_mempolicy) and each mapping's
// (mbind), asked of the process itself by injected get_mempolicy(2) calls: no /proc file shows
// a thread's. A process with many mappings and little resident memory has numa_maps tell which
// have a policy first (its walk of every resident page then costs less than a call a mapping).
// The restore side is restore/mempolicy.h.
#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

#include "common/ptrace/injection.h"
#include "common/records/mm.h"

namespace ckpt::dump {

// The policy of `thread` (of injection's process); nullopt: MPOL_DEFAULT.
std::optional<records::MemPolicy> read_thread_policy(ptrace::Injection& injection,
                                                     ptrace::RemoteSyscall& thread);

// The VMAs of `mm` (process `pid`) with a policy of their own.
std::vector<records::VmaPolicy> read_vma_policies(ptrace::Injection& injection, pid_t pid,
                                                  const records::MmState& mm);

}  // namespace ckpt::dump
