#include "ckpt/cow_shared.h"

#include <algorithm>

#include "common/error.h"
#include "common/log.h"
#include "common/proc/pagemap.h"
#include "common/unique_fd.h"

namespace ckpt::dump {
namespace {

using proc::kPageSize;

bool overlaps_any(const std::vector<records::AddressRange>& ranges, uint64_t start, uint64_t end) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const auto& r) { return r.start < end && start < r.end; });
}

void append_page(std::vector<records::AddressRange>& ranges, uint64_t address) {
  if (!ranges.empty() && ranges.back().end == address)
    ranges.back().end += kPageSize;
  else
    ranges.push_back({address, address + kPageSize});
}

// The pages of [start, start + pages) in the same frame in both processes.
void add_same_frames(int child_pagemap, int parent_pagemap, uint64_t start, uint64_t pages,
                     std::vector<records::AddressRange>& shared) {
  constexpr uint64_t kBatch = 64 * 1024;
  for (uint64_t done = 0; done < pages; done += kBatch) {
    uint64_t count = std::min(kBatch, pages - done);
    uint64_t at = start + done * kPageSize;
    auto child = proc::read_frames(child_pagemap, at, count);
    auto parent = proc::read_frames(parent_pagemap, at, count);
    for (uint64_t i = 0; i < count; ++i)
      if (child[i] != 0 && child[i] == parent[i]) append_page(shared, at + i * kPageSize);
  }
}

}  // namespace

CowSharing::CowSharing(const records::ProcessTree& tree) {
  for (const auto& entry : tree.processes) host_pids_[entry.pid] = entry.host_pid;
}

void CowSharing::find(const records::ProcessEntry& entry, records::MmState& mm) {
  mm.shared_with_parent.clear();
  auto parent = dumped_.find(entry.ppid);
  if (parent != dumped_.end()) {
    const records::MmState& parent_mm = parent->second;
    UniqueFd child_pagemap, parent_pagemap;
    for (const auto& vma : mm.vmas) {
      auto same = std::find_if(parent_mm.vmas.begin(), parent_mm.vmas.end(),
                               [&](const auto& v) { return v.start == vma.start; });
      if (same == parent_mm.vmas.end() || !records::can_share_copy_on_write(vma, *same) ||
          overlaps_any(parent_mm.shared_with_parent, vma.start, vma.end))
        continue;
      if (!child_pagemap) {
        child_pagemap = proc::open_pagemap(entry.host_pid);
        parent_pagemap = proc::open_pagemap(host_pids_.at(entry.ppid));
      }
      // Of a private file mapping, only the written pages (anonymous copies): the file's own
      // pages are the page cache's, whoever maps them.
      auto kind = vma.private_file() ? proc::PageKind::kPrivateFile : proc::PageKind::kAnonymous;
      std::vector<records::AddressRange> in_vma;  // not joined to the range of the VMA before
      proc::for_each_saved_run(child_pagemap.get(), vma.start, vma.end, kind,
                               [&](uint64_t start, uint64_t pages) {
                                 add_same_frames(child_pagemap.get(), parent_pagemap.get(), start,
                                                 pages, in_vma);
                               });
      mm.shared_with_parent.insert(mm.shared_with_parent.end(), in_vma.begin(), in_vma.end());
    }
    uint64_t bytes = 0;
    for (const auto& r : mm.shared_with_parent) bytes += r.end - r.start;
    if (bytes)
      spdlog::debug("process {}: {} KiB shared copy-on-write with its parent {}", entry.pid,
                    bytes >> 10, entry.ppid);
  }
  records::MmState layout;
  layout.vmas = mm.vmas;
  layout.shared_with_parent = mm.shared_with_parent;
  dumped_[entry.pid] = std::move(layout);
}

}  // namespace ckpt::dump
