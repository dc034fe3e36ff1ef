#include <deque>
#include <future>
#include <mutex>
#include <vector>

#include <unistd.h>

#include "common/error_kind.h"
#include "common/image/compression.h"
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
void ImageReader::Impl::load_payload(const SectionInfo& s, Buffer& stored, Buffer& raw) const {
  bool compressed = s.flags & kCompressed;
  Buffer& target = compressed ? stored : raw;
  target.resize(s.stored_size);
  if (!read_at(fd_.get(), s.offset + kSectionHeaderSize, target.span(), path_)) {
    section_fail(s, "payload truncated");
  }
  if (format::checksum(target.span()) != s.checksum) section_fail(s, "checksum mismatch");
  progress().read.add(s.type, s.raw_size, s.stored_size + kSectionHeaderSize);
  if (!compressed) return;
  std::string problem = decompress_payload(stored.span(), s.raw_size, raw);
  if (!problem.empty()) section_fail(s, problem);
}

namespace {

struct Slot {
  Buffer stored;
  Buffer raw;
  std::future<void> loaded;
};

// Decoding buffers kept from one read to the next, of any reader of the process: a chain of
// images reads a dozen streams, and each read would otherwise fault in its megabytes anew.
class SpareBuffers {
 public:
  static SpareBuffers& instance() {
    static SpareBuffers spares;
    return spares;
  }
  Buffer take() {
    std::lock_guard lock(mutex_);
    if (buffers_.empty()) return {};
    Buffer b = std::move(buffers_.back());
    buffers_.pop_back();
    return b;
  }
  void give(Buffer b) {
    std::lock_guard lock(mutex_);
    if (buffers_.size() < kKept) buffers_.push_back(std::move(b));
  }

 private:
  static constexpr size_t kKept = 16;  // slots of a few reads at once, ~4 MiB each
  std::mutex mutex_;
  std::vector<Buffer> buffers_;
};

// Two spare buffers for a read on the caller's thread, given back when it ends.
struct SparePair {
  Buffer stored = SpareBuffers::instance().take();
  Buffer raw = SpareBuffers::instance().take();
  ~SparePair() {
    SpareBuffers::instance().give(std::move(stored));
    SpareBuffers::instance().give(std::move(raw));
  }
};

// Waits for every job still using the slots, also when the consumer throws; then their buffers
// are kept for the next read.
struct SlotsGuard {
  std::deque<Slot>& slots;
  explicit SlotsGuard(std::deque<Slot>& s) : slots(s) {
    for (Slot& slot : slots) {
      slot.stored = SpareBuffers::instance().take();
      slot.raw = SpareBuffers::instance().take();
    }
  }
  ~SlotsGuard() {
    for (Slot& s : slots) {
      if (s.loaded.valid()) s.loaded.wait();
      SpareBuffers::instance().give(std::move(s.stored));
      SpareBuffers::instance().give(std::move(s.raw));
    }
  }
};

}  // namespace

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
  uint64_t offset = 0;
  if (!worth_the_pool(list)) {
    SparePair buffers;
    for (const SectionInfo* s : list) {
      load_payload(*s, buffers.stored, buffers.raw);
      consume(offset, buffers.raw.span());
      offset += s->raw_size;
    }
    return;
  }
  WorkerPool& workers = pool();
  size_t depth = std::min(list.size(), static_cast<size_t>(workers.size()) + 1);
  std::deque<Slot> slots(depth);
  SlotsGuard guard(slots);
  for (size_t i = 0; i < list.size(); ++i) {
    Slot& slot = slots[i % depth];
    if (slot.loaded.valid()) slot.loaded.get();  // its buffers are free again
    slot.loaded = workers.submit([this, s = list[i], offset, &slot, &consume] {
      load_payload(*s, slot.stored, slot.raw);
      consume(offset, slot.raw.span());
    });
    offset += list[i]->raw_size;
  }
  for (Slot& slot : slots) slot.loaded.get();
}

bool ImageReader::Impl::worth_the_pool(const std::vector<const SectionInfo*>& list) const {
  uint64_t total = 0;
  for (const SectionInfo* s : list) total += s->raw_size;
  return list.size() > 1 && total >= kDecodeAheadMin && ::getpid() == opened_by_;
}

// ImageReader forwards to Impl.

ImageReader::ImageReader(const std::string& path) : impl_(std::make_unique<Impl>(path)) {}

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
  if (list.empty()) {
    fail(ErrorKind::kImage, "{}: no section {}/{}", impl_->path(), format::type_label(type), id);
  }
  impl_->for_each_payload(list, consume);
}

void ImageReader::read_stream_parallel(
    SectionType type, uint64_t id,
    const std::function<void(uint64_t, std::span<const std::byte>)>& consume) const {
  auto list = impl_->chunks(type, id);
  if (list.empty()) {
    fail(ErrorKind::kImage, "{}: no section {}/{}", impl_->path(), format::type_label(type), id);
  }
  impl_->for_each_payload_parallel(list, consume);
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
  std::vector<const SectionInfo*> all;
  for (const SectionInfo& s : impl_->sections()) all.push_back(&s);
  impl_->for_each_payload(all, [](std::span<const std::byte>) {});
}

}  // namespace ckpt::image
