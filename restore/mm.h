// Memory of a restored process: the inherited mappings go, the dumped VMAs come back at their
// addresses (files reopened and checked unchanged), pages are written in bulk while the image
// decompresses, then protections, the vdso and the mm fields are set as dumped.
#pragma once

#include <sys/stat.h>

#include <vector>

#include "common/chain/page_sources.h"
#include "common/image/image.h"
#include "common/records/mm.h"
#include "restore/cow_shared.h"
#include "restore/pages.h"
#include "restore/seize.h"

namespace ckpt::restore {

// Fails unless `st` (of the file reopened at `vma`'s path) is the file the VMA mapped at the
// dump: same inode (or a file the restore made again from the image), size and mtime.
void check_mapped_file(const records::Vma& vma, const struct stat& st,
                       const image::ImageReader& image);

// The protection a VMA is created with: private mappings writable until their pages are in
// (restore_mm puts the dumped protection back), shared ones as dumped.
uint32_t initial_prot(const records::Vma& vma);

// `pages`: where the pages of `pagemap` are (chain/page_sources.h). `cow`: the regions of pages
// shared copy-on-write the process moves onto its VMAs (restore/cow_shared.h).
// `table_restored_later`: the process shares its fd table with one restored after it (clone
// CLONE_FILES), which still maps shared objects from the fds inherited from the root task: it
// leaves them open (the last one restored closes them).
void restore_mm(Restorer& restorer, const records::MmState& mm, const records::Pagemap& pagemap,
                const image::ImageReader& image, const std::vector<chain::PageSource>& pages,
                const HeldPages* held, uint64_t image_id, PostCopy* post_copy,
                const std::vector<CowRegionUse>& cow = {}, bool table_restored_later = false);

// prctl(PR_SET_MDWE) as dumped, late: from then on the process could map no writable
// executable memory, as the restore's scratch area is.
void deny_write_execute(Restorer& restorer, const records::MmState& mm);

}  // namespace ckpt::restore
