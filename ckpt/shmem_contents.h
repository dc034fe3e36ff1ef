// Reading the contents of a shared memory object (an fd opened on it by the dumper) into the
// image: only the pages that hold data, or a whole file.
#pragma once

#include <cstdint>
#include <vector>

#include "common/image/image.h"
#include "common/records/shmem.h"

namespace ckpt::dump {

// Streams the pages of a shmem file (memfd, shared anonymous memory) of `size` bytes that hold
// data: holes (pages never touched, found with SEEK_DATA/SEEK_HOLE) and all-zero pages are left
// out. Returns the extents written, in order.
std::vector<records::SharedExtent> write_present_pages(int fd, uint64_t size,
                                                       image::ImageWriter::Stream& out);

// Streams all `size` bytes of the file.
void write_whole_file(int fd, uint64_t size, image::ImageWriter::Stream& out);

}  // namespace ckpt::dump
