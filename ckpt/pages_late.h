// The page streams of a stream-ordered image (`dump -o -`, image kStreamOrder): written last,
// after every record, so that a restore reading the stream has every record before the first
// page and puts each page stream straight into its process. The processes stay stopped until
// then: in the processes stage each one's pages are read once to make its pagemap (the runs and
// their hashes, which the lineage and the restore need first), without being stored; at the end
// they are read again, in the same order, into the image. A process whose pages differ the
// second time is refused by pid.
#pragma once

#include <sys/types.h>

#include <vector>

#include "ckpt/pages_index.h"
#include "common/image/image.h"
#include "common/records/mm.h"

namespace ckpt::dump {

class LatePages {
 public:
  // The pagemap of `pid` (stopped), its stream left for write().
  records::Pagemap plan(pid_t pid, const records::MmState& mm, const ParentPages* parent);
  // Every planned stream, in the order planned.
  void write(image::ImageWriter& image);

 private:
  struct Planned {
    pid_t pid;
    records::MmState mm;
    const ParentPages* parent;
    records::Pagemap pagemap;
  };
  std::vector<Planned> planned_;
};

// A stream that drops what it is given: pagemaps made without storing pages.
class DiscardedStream : public image::ImageWriter::Stream {
 public:
  void write(std::span<const std::byte>) override {}
  void close() override {}
};

}  // namespace ckpt::dump
