#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <vector>

#include <unistd.h>

#include "common/error_kind.h"
#include "common/image/compression.h"
#include "common/image/decode_slots.h"
#include "common/image/input_file.h"
#include "common/image/progress.h"
#include "common/image/reader_impl.h"

namespace ckpt::image {

using format::kSectionHeaderSize;

// Below this many bytes, decoding on the caller's thread is faster than starting workers.
constexpr uint64_t kDecodeAheadMin = 4u << 20;
// get_bytes() refuses payloads larger than this; they are read with read_stream().
constexpr uint64_t kMaxGetBytes = 4ull << 30;

void ImageReader::Impl::section_fail(const SectionInfo& s, std::string_view problem) const {
  fail(ErrorKind::kImage, "{}: section {}: {}", path_, format::describe(s), problem);
}

void ImageReader::Impl::part_fail(std::string_view part, uint64_t offset,
                                  std::string_view problem) const {
  fail(ErrorKind::kImage, "{}: {} at offset {}: {}", path_, part, offset, problem);
}

std::vector<const SectionInfo*> ImageReader::Impl::chunks(SectionType type, uint64_t id) const {
  std::vector<const SectionInfo*> out;
  auto it = lookup_.find({type, id});
  if (it == lookup_.end()) return out;
  for (size_t i : it->second) out.push_back(&sections_[i]);
  return out;
}

WorkerPool& ImageReader::Impl::pool() const {
  std::lock_guard lock(pool_mutex_);
  if (pool_ && pool_pid_ != ::getpid()) {
    (void)pool_.release();  // forked: its threads live only in the parent; cannot be joined here
  }
  if (!pool_) {
    pool_ = std::make_unique<WorkerPool>(0);
    pool_pid_ = ::getpid();
  }
  return *pool_;
}

// Reads one payload into `raw` (through `stored` when it is compressed), checking it.
// Streamed, from the payload held in memory.
void ImageReader::Impl::load_payload(const SectionInfo& s, Buffer& stored, Buffer& raw) const {
  if (pipe_) {
    auto held = held_.find(s.offset);
    if (held == held_.end()) section_fail(s, "not held from the stream");
    return decode_payload(s, held->second.span(), raw);
  }
  bool compressed = s.flags & kCompressed;
  Buffer& target = compressed ? stored : raw;
  target.resize(s.stored_size);
  if (!read_at(fd_.get(), s.offset + kSectionHeaderSize, target.span(), path_)) {
    section_fail(s, "payload truncated");
  }
  if (format::checksum(target.span()) != s.checksum) section_fail(s, "checksum mismatch");
  progress().read.add(s.type, s.raw_size, s.stored_size + kSectionHeaderSize);
  if (compressed) {
    std::string problem = decompress_payload(stored.span(), s.raw_size, raw);
    if (!problem.empty()) section_fail(s, problem);
  }
  mark_checked(s);
}

void ImageReader::Impl::decode_payload(const SectionInfo& s, std::span<const std::byte> stored,
                                       Buffer& raw) const {
  if (format::checksum(stored) != s.checksum) section_fail(s, "checksum mismatch");
  progress().read.add(s.type, s.raw_size, s.stored_size + kSectionHeaderSize);
  if (!(s.flags & kCompressed)) {
    raw.resize(stored.size());
    if (!stored.empty()) std::memcpy(raw.data(), stored.data(), stored.size());
    mark_checked(s);
    return;
  }
  std::string problem = decompress_payload(stored, s.raw_size, raw);
  if (!problem.empty()) section_fail(s, problem);
  mark_checked(s);
}

bool ImageReader::Impl::checked(const SectionInfo& s) const {
  std::lock_guard lock(checked_mutex_);
  return checked_.contains(s.offset);
}

void ImageReader::Impl::mark_checked(const SectionInfo& s) const {
  std::lock_guard lock(checked_mutex_);
  checked_.insert(s.offset);
}

void ImageReader::Impl::for_each_payload(
    const std::vector<const SectionInfo*>& list,
    const std::function<void(std::span<const std::byte>)>& consume) const {
  if (!worth_the_pool(list)) {
    SparePair buffers;
    for (const SectionInfo* s : list) {
      load_payload(*s, buffers.stored, buffers.raw);
      consume(buffers.raw.span());
    }
    return;
  }
  WorkerPool& workers = pool();
  size_t depth = std::min(list.size(), static_cast<size_t>(workers.size()) + 1);
  std::deque<Slot> slots(depth);
  SlotsGuard guard(slots);
  auto start = [&](size_t i) {
    Slot& slot = slots[i % depth];
    slot.loaded =
        workers.submit([this, s = list[i], &slot] { load_payload(*s, slot.stored, slot.raw); });
  };
  for (size_t i = 0; i < depth; ++i) start(i);
  for (size_t i = 0; i < list.size(); ++i) {
    Slot& slot = slots[i % depth];
    slot.loaded.get();
    consume(slot.raw.span());
    if (i + depth < list.size()) start(i + depth);
  }
}

void ImageReader::Impl::for_each_payload_parallel(
    const std::vector<const SectionInfo*>& list,
    const std::function<void(uint64_t, std::span<const std::byte>)>& consume) const {
  std::vector<Part> parts;
  std::vector<uint64_t> offsets;  // of each chunk in the payload
  uint64_t offset = 0;
  for (const SectionInfo* s : list) {
    parts.push_back({this, s});
    offsets.push_back(offset);
    offset += s->raw_size;
  }
  for_each_part_parallel(parts, [&](size_t i, std::span<const std::byte> bytes) {
    consume(offsets[i], bytes);
  });
}

void ImageReader::Impl::for_each_part_parallel(
    const std::vector<Part>& parts,
    const std::function<void(size_t, std::span<const std::byte>)>& consume) {
  if (parts.empty()) return;
  std::vector<const SectionInfo*> sections;
  for (const Part& part : parts) sections.push_back(part.section);
  const Impl& first = *parts.front().reader;
  if (!first.worth_the_pool(sections)) {
    SparePair buffers;
    for (size_t i = 0; i < parts.size(); ++i) {
      parts[i].reader->load_payload(*parts[i].section, buffers.stored, buffers.raw);
      consume(i, buffers.raw.span());
    }
    return;
  }
  WorkerPool& workers = first.pool();
  size_t depth = std::min(parts.size(), static_cast<size_t>(workers.size()) + 1);
  std::deque<Slot> slots(depth);
  SlotsGuard guard(slots);
  for (size_t i = 0; i < parts.size(); ++i) {
    Slot& slot = slots[i % depth];
    if (slot.loaded.valid()) slot.loaded.get();  // its buffers are free again
    slot.loaded = workers.submit([part = parts[i], i, &slot, &consume] {
      part.reader->load_payload(*part.section, slot.stored, slot.raw);
      consume(i, slot.raw.span());
    });
  }
  for (Slot& slot : slots) slot.loaded.get();
}

bool ImageReader::Impl::worth_the_pool(const std::vector<const SectionInfo*>& list) const {
  uint64_t total = 0;
  for (const SectionInfo* s : list) total += s->raw_size;
  return list.size() > 1 && total >= kDecodeAheadMin && ::getpid() == opened_by_;
}

// ImageReader forwards to Impl.

ImageReader::ImageReader(const std::string& path) : ImageReader(path, PipeMode::kSpool) {}

ImageReader::ImageReader(const std::string& path, PipeMode pipe)
    : impl_(std::make_unique<Impl>(path, pipe)) {}

ImageReader::~ImageReader() = default;

const Header& ImageReader::header() const {
  return impl_->header();
}

const std::vector<SectionInfo>& ImageReader::sections() const {
  return impl_->sections();
}

bool ImageReader::has(SectionType type, uint64_t id) const {
  return !impl_->chunks(type, id).empty();
}

std::vector<uint64_t> ImageReader::ids(SectionType type) const {
  std::vector<uint64_t> out;
  for (const SectionInfo& s : impl_->sections()) {
    if (s.type == type && s.seq == 0) out.push_back(s.id);
  }
  return out;
}

std::string ImageReader::get_bytes(SectionType type, uint64_t id) const {
  auto list = impl_->chunks(type, id);
  if (list.empty()) {
    fail(ErrorKind::kImage, "{}: no section {}/{}", impl_->path(), format::type_label(type), id);
  }
  uint64_t total = 0;
  for (const SectionInfo* s : list) total += s->raw_size;
  if (total > kMaxGetBytes) {
    fail("{}: section {}/{} holds {} bytes, too many to load whole: read it as a stream",
         impl_->path(), format::type_label(type), id, total);
  }
  std::string out;
  out.reserve(total);
  impl_->for_each_payload(list, [&](std::span<const std::byte> bytes) {
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  });
  return out;
}

void ImageReader::read_stream(
    SectionType type, uint64_t id,
    const std::function<void(std::span<const std::byte>)>& consume) const {
  auto list = impl_->chunks(type, id);
  if (list.empty() && impl_->streamed() && type == SectionType::kPages) {
    return impl_->read_streamed_pages(
        id, true, [&](uint64_t, std::span<const std::byte> chunk) { consume(chunk); });
  }
  if (list.empty()) {
    fail(ErrorKind::kImage, "{}: no section {}/{}", impl_->path(), format::type_label(type), id);
  }
  impl_->for_each_payload(list, consume);
}

void ImageReader::read_stream_parallel(
    SectionType type, uint64_t id,
    const std::function<void(uint64_t, std::span<const std::byte>)>& consume) const {
  auto list = impl_->chunks(type, id);
  if (list.empty() && impl_->streamed() && type == SectionType::kPages)
    return impl_->read_streamed_pages(id, false, consume);
  if (list.empty()) {
    fail(ErrorKind::kImage, "{}: no section {}/{}", impl_->path(), format::type_label(type), id);
  }
  impl_->for_each_payload_parallel(list, consume);
}

void ImageReader::hold_page_streams(bool hold) const {
  impl_->hold_page_streams(hold);
}

void ImageReader::spool_rest() const {
  if (impl_->streamed()) impl_->spool_streamed();
}

void ImageReader::stream_rest() const {
  if (impl_->streamed()) impl_->stream_rest();
}

void ImageReader::finish_reading() const {
  if (impl_->streamed()) impl_->finish_streamed();
}

uint64_t ImageReader::file_size() const {
  return impl_->file_size();
}

void ImageReader::read_raw(uint64_t offset, std::span<std::byte> out) const {
  if (offset > impl_->file_size() || out.size() > impl_->file_size() - offset ||
      !read_at(impl_->fd(), offset, out, impl_->path()))
    impl_->part_fail("raw bytes", offset, "past the end of the file");
}

void ImageReader::verify() const {
  std::vector<const SectionInfo*> all;  // each payload not read and checked already
  for (const SectionInfo& s : impl_->sections())
    if (!impl_->checked(s)) all.push_back(&s);
  impl_->for_each_payload(all, [](std::span<const std::byte>) {});
}

void verify_all(std::span<const ImageReader* const> images) {
  std::vector<ImageReader::Impl::Part> parts;  // each payload not read and checked already
  for (const ImageReader* image : images)
    for (const SectionInfo& s : image->impl_->sections())
      if (!image->impl_->checked(s)) parts.push_back({image->impl_.get(), &s});
  ImageReader::Impl::for_each_part_parallel(parts, [](size_t, std::span<const std::byte>) {});
}

void read_streams_parallel(
    std::span<const StreamRef> streams,
    const std::function<void(size_t, uint64_t, std::span<const std::byte>)>& consume) {
  std::vector<ImageReader::Impl::Part> parts;
  std::vector<std::pair<size_t, uint64_t>> where;  // each part's stream and offset in it
  for (size_t i = 0; i < streams.size(); ++i) {
    const auto& impl = *streams[i].image->impl_;
    auto list = impl.chunks(streams[i].type, streams[i].id);
    if (list.empty() || impl.streamed()) {  // from a pipe (or missing): each on its own
      for (size_t j = 0; j < streams.size(); ++j)
        streams[j].image->read_stream_parallel(
            streams[j].type, streams[j].id,
            [&](uint64_t offset, std::span<const std::byte> bytes) { consume(j, offset, bytes); });
      return;
    }
    uint64_t offset = 0;
    for (const SectionInfo* s : list) {
      parts.push_back({&impl, s});
      where.emplace_back(i, offset);
      offset += s->raw_size;
    }
  }
  ImageReader::Impl::for_each_part_parallel(parts, [&](size_t i, std::span<const std::byte> bytes) {
    consume(where[i].first, where[i].second, bytes);
  });
}

}  // namespace ckpt::image
