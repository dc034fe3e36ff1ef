// Pages a process still shares copy-on-write with its parent (a forked worker and its master
// that neither wrote since the fork): found by their page frames, which /proc/PID/pagemap shows
// to root, and recorded in the child's MmState::shared_with_parent instead of its page stream,
// so that the restore shares them again (restore/cow_shared) rather than making two copies.
#pragma once

#include <sys/types.h>

#include <map>

#include "common/records/mm.h"
#include "common/records/tree.h"

namespace ckpt::dump {

// Walks the tree parents first (the order of records::ProcessTree), remembering each dumped
// process's memory layout for its children.
class CowSharing {
 public:
  explicit CowSharing(const records::ProcessTree& tree);

  // Sets `mm.shared_with_parent` of process `entry` (seized, stopped, its parent dumped before
  // it): the pages of each private anonymous VMA it has exactly as its parent has it (not one
  // growing down, and none where the parent shares pages with its own parent), and the written
  // pages of each private file mapping it has so, that sit in the same frames as the parent's. Then remembers `mm` for its children.
  void find(const records::ProcessEntry& entry, records::MmState& mm);

 private:
  std::map<int32_t, pid_t> host_pids_;               // ns pid -> host pid
  std::map<int32_t, records::MmState> dumped_;       // ns pid -> its layout and shared pages
};

}  // namespace ckpt::dump
