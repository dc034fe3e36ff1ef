// Memory of a seized process: its VMAs and mm fields, and the pages that hold data of their own
// (present private anonymous pages that are not all zeros, written pages of private file
// mappings), streamed into the image.
#pragma once

#include <sys/types.h>

#include <vector>

#include "common/image/image.h"
#include "common/ptrace/remote_syscall.h"
#include "common/records/mm.h"

namespace ckpt::dump {

// VMAs, mm fields (brk excepted: it needs an injected brk(0)), auxv and exe path. `earlier`:
// the same process's MmState collected a moment ago, which spares reading smaps when no mapping
// changed since.
records::MmState collect_mm(pid_t pid, const records::MmState* earlier = nullptr);

// What only calls inside the process show of its mm: THP disabled (prctl), KSM for every
// mapping (PR_SET_MEMORY_MERGE), membarrier registrations. `call`: injected into the process.
void collect_mm_settings(ptrace::RemoteSyscall& call, records::MmState& mm);

// A run of pages of a private mapping that must be saved (see proc::for_each_saved_run).
struct SavedRun {
  uint64_t start = 0;
  uint64_t pages = 0;
  bool skip_zero = false;  // anonymous memory: all-zero pages need not be stored
};
std::vector<SavedRun> saved_runs(pid_t pid, const records::MmState& mm);

class ParentPages;

// Writes the page stream (kPages, id) and returns the pagemap describing it; pages `parent`
// has unchanged are only marked in the pagemap.
records::Pagemap dump_pages(pid_t pid, const records::MmState& mm, image::ImageWriter::Stream& out,
                            const ParentPages* parent = nullptr);

}  // namespace ckpt::dump
