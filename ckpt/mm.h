// Memory of a seized process: its VMAs and mm fields, and the pages that hold data of their own
// (present private anonymous pages that are not all zeros, written pages of private file
// mappings), streamed into the image.
#pragma once

#include <sys/types.h>

#include "common/image/image.h"
#include "common/records/mm.h"

namespace ckpt::dump {

// VMAs, mm fields (brk excepted: it needs an injected brk(0)), auxv and exe path.
records::MmState collect_mm(pid_t pid);

// Writes the page stream (kPages, id) and returns the pagemap describing it.
records::Pagemap dump_pages(pid_t pid, const records::MmState& mm, image::ImageWriter::Stream& out);

}  // namespace ckpt::dump
