#include "common/image/compression.h"
#include "common/image/format.h"
#include "common/image/progress.h"
#include "common/image/writer_impl.h"

namespace ckpt::image {

ImageWriter::Impl::Impl(const std::string& path, const Header& header, const WriterOptions& options)
    : path_(path), options_(options), sink_(path) {
  if (options_.chunk_size == 0) fail("image writer: chunk size must not be 0");
  std::string preamble = format::encode_preamble(header);
  auto bytes = std::as_bytes(std::span(preamble.data(), preamble.size()));
  if (!options_.sign_key.empty()) {
    mac_ = std::make_unique<Mac>(options_.sign_key);
    mac_->update(bytes);
  }
  sink_.write(bytes);
}

WorkerPool& ImageWriter::Impl::pool() {
  if (!pool_) pool_ = std::make_unique<WorkerPool>(options_.threads);
  return *pool_;
}

void ImageWriter::Impl::check_writable() const {
  if (finished_) fail("{}: image already finished", path_);
  if (broken_) fail("{}: a stream was abandoned; the image is incomplete", path_);
  if (stream_open_) fail("{}: a stream is still open", path_);
}

void ImageWriter::Impl::claim(SectionType type, uint64_t id) {
  check_writable();
  if (type == SectionType::kTrailer || type == SectionType::kSignature)
    fail("{}: the trailer and signature sections are written by finish()", path_);
  if (!written_.emplace(type, id).second) {
    fail("{}: section {}/{} written twice", path_, format::type_label(type), id);
  }
}

void ImageWriter::Impl::write_section(SectionInfo info, std::span<const std::byte> stored) {
  info.offset = sink_.offset();
  info.stored_size = stored.size();
  auto header = format::encode_section_header(info);
  if (mac_) {
    mac_->update(header);
    mac_->update(stored);
  }
  sink_.write(header, stored);
  sections_.push_back(info);
  progress().written.add(info.type, info.raw_size, header.size() + stored.size());
}

void ImageWriter::Impl::put_bytes(SectionType type, uint64_t id,
                                  std::span<const std::byte> payload) {
  if (payload.size() > options_.chunk_size) {
    auto stream = open_stream(type, id);  // large payloads are chunked like any stream
    stream->write(payload);
    stream->close();
    return;
  }
  claim(type, id);
  Buffer compressed;
  SectionInfo info{.type = type, .id = id, .raw_size = payload.size()};
  info.flags =
      compress_payload(payload, options_.zstd_level, options_.min_compress_size, compressed);
  std::span<const std::byte> stored = info.flags & kCompressed ? compressed.span() : payload;
  info.checksum = format::checksum(stored);
  write_section(info, stored);
}

std::unique_ptr<ImageWriter::Stream> ImageWriter::Impl::open_stream(SectionType type, uint64_t id) {
  claim(type, id);
  stream_open_ = true;
  return make_stream_writer(*this, type, id);
}

void ImageWriter::Impl::stream_ended(bool completed) {
  stream_open_ = false;
  if (!completed) broken_ = true;
}

// The HMAC of every byte so far, as the last section before the trailer.
void ImageWriter::Impl::write_signature() {
  auto mac = mac_->final();
  mac_.reset();
  SectionInfo info{.type = SectionType::kSignature, .raw_size = mac.size()};
  info.checksum = format::checksum(mac);
  write_section(info, mac);
}

void ImageWriter::Impl::finish() {
  check_writable();
  if (mac_) write_signature();
  std::string index = format::encode_index(sections_);
  auto payload = std::as_bytes(std::span(index.data(), index.size()));
  SectionInfo trailer{.type = SectionType::kTrailer, .raw_size = payload.size()};
  trailer.checksum = format::checksum(payload);
  uint64_t trailer_offset = sink_.offset();
  trailer.offset = trailer_offset;
  trailer.stored_size = payload.size();
  sink_.write(format::encode_section_header(trailer), payload);
  sink_.write(format::encode_footer(trailer_offset));
  sink_.commit();
  finished_ = true;
}

// ImageWriter forwards to Impl.

ImageWriter::ImageWriter(const std::string& path, const Header& header,
                         const WriterOptions& options)
    : impl_(std::make_unique<Impl>(path, header, options)) {}

ImageWriter::~ImageWriter() = default;

void ImageWriter::put_bytes(SectionType type, uint64_t id, std::span<const std::byte> payload) {
  impl_->put_bytes(type, id, payload);
}

std::unique_ptr<ImageWriter::Stream> ImageWriter::open_stream(SectionType type, uint64_t id) {
  return impl_->open_stream(type, id);
}

void ImageWriter::finish() {
  impl_->finish();
}

uint64_t ImageWriter::bytes_written() const {
  return impl_->bytes_written();
}

}  // namespace ckpt::image
