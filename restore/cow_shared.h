// Pages a parent and its forked children shared copy-on-write at the dump (ckpt/cow_shared)
// come back shared, not as a copy per process. Before the root task is forked, the tracer maps
// one region per parent VMA whose pages a child shares and fills it with the parent's pages;
// every restored process inherits the regions through the forks of the restore (copy-on-write,
// so the frames are the same in all). The memory stage (restore/mm) moves a process's region
// onto its VMA with mremap, which keeps the frames: the parent finds its pages there; a child
// drops the pages it does not share and gets its own by the usual fill. A process unmaps every
// region it does not use, and the tracer its own copies once the root task is forked.
// The region of a private file mapping (its written pages shared) must map that file, which
// only the container's mounts show: the root task, once they are made and before it forks the
// tree, maps the file privately, writes the parent's pages over it (its other pages stay the
// file's) and moves it over the tracer's anonymous copy (`map_files`).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "common/chain/page_sources.h"
#include "common/image/image.h"
#include "common/records/mm.h"
#include "common/records/tree.h"

namespace ckpt::restore {

// A region the process moves onto its VMA at `vma_start`.
struct CowRegionUse {
  uint64_t vma_start = 0;
  uint64_t size = 0;
  uint64_t region = 0;  // where the region is, in the tracer and every forked process
  bool owner = false;   // the parent, whose pages fill the region (a child: shares some of them)
};

class CowRegions {
 public:
  // The pages of process `ns_pid` (its own stream and, along a chain, its parents').
  using SourcesOf = std::function<std::vector<chain::PageSource>(const records::ProcessEntry&)>;

  // Plans the regions from each process's MmState (`mms`, by ns pid) and fills them. Refuses
  // shared pages no region can give (a damaged image).
  CowRegions(const records::ProcessTree& tree, const std::map<int32_t, records::MmState>& mms,
             const SourcesOf& sources_of);
  ~CowRegions();
  CowRegions(const CowRegions&) = delete;
  CowRegions& operator=(const CowRegions&) = delete;

  // In the root task, before it forks the tree: each region of a private file mapping becomes
  // a private mapping of that file (checked unchanged, as restore/mm checks it) with the
  // parent's pages written over it.
  void map_files(const image::ImageReader& image);
  // The tracer's copies unmapped: once the root task is forked, the processes hold the regions.
  void release();
  // The regions process `ns_pid` moves onto its VMAs, by VMA address.
  std::vector<CowRegionUse> uses_of(int32_t ns_pid) const;

 private:
  struct Region {
    int32_t owner = 0;     // ns pid of the parent
    records::Vma vma;      // the parent's
    uint64_t address = 0;  // in the tracer
    std::vector<int32_t> sharers;  // ns pids of the children
    std::vector<records::AddressRange> filled;  // of a file mapping: the parent's pages in it
  };
  void map_regions(const std::map<int32_t, records::MmState>& mms);
  void fill(const records::ProcessTree& tree, const SourcesOf& sources_of);

  std::vector<Region> regions_;
  bool released_ = false;
};

}  // namespace ckpt::restore
