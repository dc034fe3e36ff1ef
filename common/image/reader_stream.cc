// A streamed image (ImageReader with PipeMode::kStream): read once, in order, from a pipe, while
// the restore uses it. `dump -o -` lays it out for that (a kStreamOrder section first, then every
// record, then the page streams in the order of the process tree), so that the sections before
// the first page stream, held in memory as stored, are all the records, and each page stream is
// decoded from the pipe straight into its process. Every header is checked before it is
// trusted and every payload against its checksum before it is used, as for a file; what a file's
// trailer gives up front (the index) is compared with what came, at the end.
#include <unistd.h>

#include <array>
#include <cstring>

#include "common/error.h"
#include "common/error_kind.h"
#include "common/image/decode_slots.h"
#include "common/image/input_file.h"
#include "common/image/reader_impl.h"

namespace ckpt::image {

using namespace format;

namespace {

// No section ckpt writes is larger than a chunk (4 MiB): a header claiming more is not held.
constexpr uint64_t kMaxStreamedSection = 64u << 20;

bool ends_the_records(SectionType type) {
  return type == SectionType::kPages || type == SectionType::kSignature ||
         type == SectionType::kTrailer;
}

}  // namespace

// The records, up to the first page stream; false (nothing checked past the first section)
// when the image is not stream-ordered.
bool ImageReader::Impl::open_streamed() {
  read_preamble();
  SectionInfo s = read_streamed_header();
  if (s.type != SectionType::kStreamOrder) return false;
  // What came is kept until a page stream is read: spool_streamed() may still need it.
  for (; !ends_the_records(s.type); s = read_streamed_header()) {
    read_streamed_payload(s, held_[s.offset]);
    sections_.push_back(s);
  }
  pending_ = s;
  build_lookup();
  return true;
}

SectionInfo ImageReader::Impl::read_streamed_header() {
  uint64_t offset = pipe_->offset();
  SectionHeaderBytes bytes{};
  if (!pipe_->read(bytes)) part_fail("section header", offset, "truncated: the stream ends there");
  SectionInfo s = checked_section_header(bytes, nullptr, offset, UINT64_MAX);
  if (s.stored_size > kMaxStreamedSection)
    section_fail(s, fmt::format("stored size {} exceeds the {} a streamed section holds",
                                s.stored_size, kMaxStreamedSection));
  return s;
}

void ImageReader::Impl::read_streamed_payload(const SectionInfo& s, Buffer& stored) {
  stored.resize(s.stored_size);
  if (!pipe_->read(stored.span())) section_fail(s, "payload truncated: the stream ends there");
}

std::optional<SectionInfo> ImageReader::Impl::next_streamed_chunk(uint64_t id, Buffer& stored) {
  if (pending_.type != SectionType::kPages || pending_.id != id) return std::nullopt;
  SectionInfo s = pending_;
  bool continues = !streamed_.empty() && streamed_.back().id == id;  // else its first chunk
  uint32_t expected = continues ? streamed_.back().seq + 1 : 0;
  if (s.seq != expected) section_fail(s, fmt::format("chunk out of order, expected #{}", expected));
  read_streamed_payload(s, stored);
  streamed_.push_back(s);
  pending_ = read_streamed_header();
  return s;
}

// The page stream the pipe is at, kept in memory as stored: one asked for after it.
void ImageReader::Impl::hold_pending_stream() {
  uint64_t id = pending_.id;
  if (!streams_read_.insert(id).second) section_fail(pending_, "a page stream that came before");
  auto& chunks = held_streams_[id];
  Buffer stored;
  while (auto s = next_streamed_chunk(id, stored)) {
    held_[s->offset] = std::move(stored);
    stored = Buffer();
    chunks.push_back(*s);
  }
}

void ImageReader::Impl::read_streamed_pages(
    uint64_t id, bool in_order,
    const std::function<void(uint64_t, std::span<const std::byte>)>& consume) {
  pipe_->keep_no_more();
  if (held_streams_.count(id)) return read_held_stream(id, in_order, consume);
  if (streams_read_.count(id)) fail("{}: page stream {} read twice", path_, id);
  while (pending_.type == SectionType::kPages && pending_.id != id) hold_pending_stream();
  if (pending_.type != SectionType::kPages)
    fail(ErrorKind::kImage, "{}: no section pages/{}", path_, id);
  streams_read_.insert(id);
  pipe_stream(id, in_order, consume);
}

void ImageReader::Impl::read_held_stream(
    uint64_t id, bool in_order,
    const std::function<void(uint64_t, std::span<const std::byte>)>& consume) {
  std::vector<const SectionInfo*> list;
  for (const SectionInfo& s : held_streams_[id]) list.push_back(&s);
  if (in_order) {
    uint64_t offset = 0;
    for_each_payload(list, [&](std::span<const std::byte> chunk) {
      consume(offset, chunk);
      offset += chunk.size();
    });
  } else {
    for_each_payload_parallel(list, consume);
  }
  if (holding_) return;
  for (const SectionInfo* s : list) held_.erase(s->offset);
  held_streams_.erase(id);
}

// Reads the chunks of `id` from the pipe on this thread and decodes them on the pool, a few at
// once; `consume` runs here in order (`in_order`), or on the pool as each chunk is decoded.
// Held as stored too while holding_ is set.
void ImageReader::Impl::pipe_stream(
    uint64_t id, bool in_order,
    const std::function<void(uint64_t, std::span<const std::byte>)>& consume) {
  std::vector<SectionInfo>* held = holding_ ? &held_streams_[id] : nullptr;
  auto keep = [&](const SectionInfo& s, const Buffer& stored) {
    if (!held) return;
    Buffer& copy = held_[s.offset];
    copy.resize(stored.size());
    if (stored.size()) std::memcpy(copy.data(), stored.data(), stored.size());
    held->push_back(s);
  };
  uint64_t offset = 0;
  if (::getpid() != opened_by_) {  // a forked copy: no threads of its own (reader_impl.h)
    SparePair buffers;
    while (auto s = next_streamed_chunk(id, buffers.stored)) {
      keep(*s, buffers.stored);
      decode_payload(*s, buffers.stored.span(), buffers.raw);
      consume(offset, buffers.raw.span());
      offset += s->raw_size;
    }
    return;
  }
  WorkerPool& workers = pool();
  size_t depth = static_cast<size_t>(workers.size()) + 1;
  std::deque<Slot> slots(depth);
  std::vector<uint64_t> offsets(depth);
  SlotsGuard guard(slots);
  auto finish_slot = [&](size_t i) {
    Slot& slot = slots[i % depth];
    if (!slot.loaded.valid()) return;
    slot.loaded.get();
    if (in_order) consume(offsets[i % depth], slot.raw.span());
  };
  size_t i = 0;
  for (;; ++i) {
    Slot& slot = slots[i % depth];
    finish_slot(i);  // chunk i - depth: its buffers are free again
    auto s = next_streamed_chunk(id, slot.stored);
    if (!s) break;
    keep(*s, slot.stored);
    offsets[i % depth] = offset;
    slot.loaded = workers.submit([this, info = *s, offset, in_order, &slot, &consume] {
      decode_payload(info, slot.stored.span(), slot.raw);
      if (!in_order) consume(offset, slot.raw.span());
    });
    offset += s->raw_size;
  }
  for (size_t k = i + 1; k < i + depth; ++k) finish_slot(k);  // the chunks still in flight
}

void ImageReader::Impl::spool_streamed() {
  if (!streams_read_.empty()) fail("{}: spooled after a page stream was read", path_);
  spool_pipe();
  size_ = image::file_size(fd_.get(), path_);
  open_file();
}

// The rest of the stream: page streams nobody asked for (checked, dropped), the signature, the
// trailer and the footer; then nothing.
void ImageReader::Impl::finish_streamed() {
  pipe_->keep_no_more();
  while (pending_.type == SectionType::kPages) {
    uint64_t id = pending_.id;
    if (!streams_read_.insert(id).second) section_fail(pending_, "a page stream that came before");
    Buffer stored;
    while (auto s = next_streamed_chunk(id, stored))
      if (checksum(stored.span()) != s->checksum) section_fail(*s, "checksum mismatch");
  }
  if (pending_.type == SectionType::kSignature) {
    Buffer stored;
    read_streamed_payload(pending_, stored);
    if (checksum(stored.span()) != pending_.checksum) section_fail(pending_, "checksum mismatch");
    streamed_.push_back(pending_);
    pending_ = read_streamed_header();
  }
  if (pending_.type != SectionType::kTrailer)
    section_fail(pending_, "not a page stream, the signature or the trailer (the image does not "
                           "keep its stream order)");
  check_streamed_trailer(pending_);
  sections_.insert(sections_.end(), streamed_.begin(), streamed_.end());
  lookup_.clear();
  build_lookup();
}

// The trailer's index must list exactly the sections that came; the footer must point at it and
// end the stream.
void ImageReader::Impl::check_streamed_trailer(const SectionInfo& trailer) {
  uint64_t count = sections_.size() + streamed_.size();
  if (trailer.raw_size != count * kIndexEntrySize) {
    section_fail(trailer, fmt::format("index size {} is not the {} sections that came",
                                      trailer.raw_size, count));
  }
  Buffer stored, raw;
  read_streamed_payload(trailer, stored);
  decode_payload(trailer, stored.span(), raw);
  auto index = decode_index({reinterpret_cast<const char*>(raw.data()), raw.size()});
  for (size_t i = 0; i < index.size(); ++i) {
    const SectionInfo& s = i < sections_.size() ? sections_[i] : streamed_[i - sections_.size()];
    const IndexEntry& e = index[i];
    if (e.type != s.type || e.id != s.id || e.seq != s.seq || e.offset != s.offset)
      section_fail(s, fmt::format("the trailer's index says {}/{} #{} at offset {}",
                                  type_label(e.type), e.id, e.seq, e.offset));
  }
  uint64_t at = pipe_->offset();
  std::array<std::byte, kFooterSize> footer{};
  if (!pipe_->read(footer)) part_fail("footer", at, "truncated: the stream ends there");
  if (std::memcmp(footer.data() + 8, kEndMagic.data(), kEndMagic.size()) != 0 ||
      load<uint64_t>(footer.data()) != trailer.offset)
    part_fail("footer", at, "no end magic or not the trailer's offset");
  if (!pipe_->at_end()) part_fail("footer", at, "trailing data after the image");
  size_ = pipe_->offset();
}

}  // namespace ckpt::image
