// The process dump: for every process of the tree (already seized and stopped), its threads,
// signals, memory and the rest of its state, written to the image as
//   kThreads, kProcess, kMm, kPagemap (records) and kPages (stream), all with id = host pid.
#pragma once

#include "ckpt/pages_index.h"
#include "ckpt/pages_deferred.h"
#include "ckpt/pages_late.h"
#include "ckpt/seize.h"
#include "common/image/image.h"
#include "common/records/tree.h"

namespace ckpt::dump {

// With `deferred`, page contents are only copied into it (kPages and kPagemap are written by
// deferred->write() once the processes run again). With `index`, pages unchanged since its
// parent image are left out, and the pagemaps are counted into its checksum. With
// `keep_cow_sharing`, pages a child shares copy-on-write with its parent are recorded as such
// instead of stored (ckpt/cow_shared); a migration, whose pages travel before the freeze, stores
// them. With `late` (and no `deferred`), only the pagemaps are written: late->write() writes the
// page streams after every record.
void dump_processes(const records::ProcessTree& tree, const SeizedProcesses& seized,
                    image::ImageWriter& image, DeferredPages* deferred = nullptr,
                    PageIndex* index = nullptr, bool keep_cow_sharing = true,
                    LatePages* late = nullptr);

}  // namespace ckpt::dump
