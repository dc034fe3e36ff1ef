// Restore of AIO rings (records::VmaKind::kAioRing): each context made again with io_setup,
// its ring moved to the dumped address (the context id), the kernel's head and tail brought to
// the dumped ones by requests that complete at once (reads of nothing from /dev/null, those
// before the head taken), then the dumped events copied into the ring's slots.
#pragma once

#include "common/records/mm.h"
#include "restore/seize.h"

namespace ckpt::restore {

void restore_aio_rings(Restorer& r, const records::MmState& mm);

}  // namespace ckpt::restore
