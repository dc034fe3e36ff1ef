// A stream cut into chunks of options.chunk_size raw bytes. Full chunks are compressed on the
// writer's pool while the caller fills the next; finished chunks are written in order by the
// caller's thread. At most 2 x threads chunks are in flight, so memory stays bounded, and chunk
// buffers are recycled, so no megabytes are page-faulted per chunk.
#include <cstring>
#include <deque>
#include <future>

#include "common/image/compression.h"
#include "common/image/format.h"
#include "common/image/writer_impl.h"

namespace ckpt::image {
namespace {

struct Chunk {
  Buffer raw;
  Buffer compressed;
  uint32_t flags = 0;
  uint64_t checksum = 0;

  std::span<const std::byte> stored() const {
    return flags & kCompressed ? compressed.span() : raw.span();
  }
};

struct InFlight {
  std::unique_ptr<Chunk> chunk;
  std::future<void> encoded;
};

class StreamWriter : public ImageWriter::Stream {
 public:
  StreamWriter(ImageWriter::Impl& writer, SectionType type, uint64_t id)
      : writer_(writer),
        type_(type),
        id_(id),
        chunk_size_(writer.options().chunk_size),
        max_in_flight_(static_cast<size_t>(2 * writer.pool().size())) {}

  ~StreamWriter() override {
    if (closed_) return;
    for (auto& f : in_flight_) f.encoded.wait();  // jobs point into our chunks
    writer_.stream_ended(false);
  }

  void write(std::span<const std::byte> data) override {
    if (closed_) fail("stream {}/{} written after close", format::type_label(type_), id_);
    while (!data.empty()) {
      if (!filling_) filling_ = take_chunk();
      size_t used = filling_->raw.size();
      size_t n = std::min(chunk_size_ - used, data.size());
      filling_->raw.resize(used + n);  // capacity is chunk_size_: keeps contents
      std::memcpy(filling_->raw.data() + used, data.data(), n);
      data = data.subspan(n);
      if (filling_->raw.size() == chunk_size_) submit(std::move(filling_));
    }
  }

  void close() override {
    if (closed_) return;
    if (filling_ && filling_->raw.size() > 0) submit(std::move(filling_));
    if (next_seq_ == 0) submit(take_chunk());  // an empty stream still has its section
    while (!in_flight_.empty()) write_oldest();
    closed_ = true;
    writer_.stream_ended(true);
  }

 private:
  std::unique_ptr<Chunk> take_chunk() {
    std::unique_ptr<Chunk> chunk;
    if (free_.empty()) {
      chunk = std::make_unique<Chunk>();
      chunk->raw.resize(chunk_size_);
    } else {
      chunk = std::move(free_.back());
      free_.pop_back();
    }
    chunk->raw.resize(0);
    return chunk;
  }

  void submit(std::unique_ptr<Chunk> chunk) {
    ++next_seq_;
    const WriterOptions& o = writer_.options();
    Chunk* c = chunk.get();
    auto encoded = writer_.pool().submit([c, level = o.zstd_level, min = o.min_compress_size] {
      c->flags = compress_payload(c->raw.span(), level, min, c->compressed);
      c->checksum = format::checksum(c->stored());
    });
    in_flight_.push_back({std::move(chunk), std::move(encoded)});
    while (in_flight_.size() >= max_in_flight_ || oldest_ready()) write_oldest();
  }

  bool oldest_ready() const {
    return !in_flight_.empty() && in_flight_.front().encoded.wait_for(std::chrono::seconds(0)) ==
                                      std::future_status::ready;
  }

  void write_oldest() {
    InFlight f = std::move(in_flight_.front());
    in_flight_.pop_front();
    f.encoded.get();
    const Chunk& c = *f.chunk;
    SectionInfo info{.type = type_,
                     .id = id_,
                     .flags = c.flags,
                     .seq = written_seq_++,
                     .raw_size = c.raw.size(),
                     .checksum = c.checksum};
    writer_.write_section(info, c.stored());
    free_.push_back(std::move(f.chunk));
  }

  ImageWriter::Impl& writer_;
  SectionType type_;
  uint64_t id_;
  size_t chunk_size_;
  size_t max_in_flight_;
  std::unique_ptr<Chunk> filling_;
  std::deque<InFlight> in_flight_;
  std::vector<std::unique_ptr<Chunk>> free_;
  uint32_t next_seq_ = 0;
  uint32_t written_seq_ = 0;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<ImageWriter::Stream> make_stream_writer(ImageWriter::Impl& writer, SectionType type,
                                                        uint64_t id) {
  return std::make_unique<StreamWriter>(writer, type, id);
}

}  // namespace ckpt::image
