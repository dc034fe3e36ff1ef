#include "ckpt/pages_late.h"

#include "ckpt/mm.h"
#include "common/cancel.h"
#include "common/error.h"
#include "common/image/archive.h"

namespace ckpt::dump {

records::Pagemap LatePages::plan(pid_t pid, const records::MmState& mm,
                                 const ParentPages* parent) {
  DiscardedStream discarded;
  records::Pagemap pagemap = dump_pages(pid, mm, discarded, parent);
  planned_.push_back({pid, mm, parent, pagemap});
  return pagemap;
}

void LatePages::write(image::ImageWriter& image) {
  for (const Planned& p : planned_) {
    throw_if_cancelled();
    auto stream = image.open_stream(image::SectionType::kPages, static_cast<uint64_t>(p.pid));
    records::Pagemap written = dump_pages(p.pid, p.mm, *stream, p.parent);
    stream->close();
    if (image::to_bytes(written) != image::to_bytes(p.pagemap))
      fail("process {}: its memory changed while it was stopped", p.pid);
  }
}

}  // namespace ckpt::dump
