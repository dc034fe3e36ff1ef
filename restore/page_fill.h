// Fills a restored process's memory from its page stream, in bulk: the tracer populates the
// target ranges (MADV_POPULATE_WRITE injected in the process) a slice ahead of a writer thread
// that copies the decompressed chunks in with large process_vm_writev calls, while the image
// reader's pool decompresses the next chunks. Populating, decompressing and copying overlap.
#pragma once

#include <cstdint>

#include "common/image/image.h"
#include "common/records/mm.h"
#include "restore/restorer.h"

namespace ckpt::restore {

// The VMAs of `pagemap` exist (writable) in the process; stream (kPages, image_id) holds its pages.
void fill_pages(Restorer& restorer, const records::Pagemap& pagemap,
                const image::ImageReader& image, uint64_t image_id);

}  // namespace ckpt::restore
