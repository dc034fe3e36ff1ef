// Opening an image: every size is checked against the file's bounds before it is used, every
// header against its checksum before it is trusted, and the trailer index against the sections.
#include "common/error_kind.h"
#include "common/image/archive.h"
#include "common/image/input_file.h"
#include "common/image/pipe_input.h"
#include "common/image/reader_impl.h"

namespace ckpt::image {

using namespace format;

ImageReader::Impl::Impl(const std::string& path, PipeMode pipe) : path_(path) {
  if (pipe == PipeMode::kStream) {
    if (UniqueFd fd = open_image_pipe(path)) {
      pipe_ = std::make_unique<PipeInput>(std::move(fd), path == "-" ? "stdin" : path);
      size_ = UINT64_MAX;  // unknown until the footer
      if (open_streamed()) return;
      spool_pipe();  // not laid out for streaming (an older image)
    }
  }
  if (!fd_) fd_ = open_image_file(path);
  size_ = image::file_size(fd_.get(), path);
  open_file();
}

void ImageReader::Impl::spool_pipe() {
  fd_ = spool(pipe_->fd(), path_, pipe_->kept());
  pipe_.reset();
  held_.clear();
  sections_.clear();
  lookup_.clear();
}

void ImageReader::Impl::open_file() {
  read_preamble();
  uint64_t trailer_offset = read_footer();
  SectionInfo expected{.type = SectionType::kTrailer, .offset = trailer_offset};
  SectionInfo trailer = read_section_header(expected, size_ - kFooterSize);
  if (trailer.offset + kSectionHeaderSize + trailer.stored_size != size_ - kFooterSize) {
    section_fail(trailer, "payload does not end where the footer begins");
  }
  read_section_headers(read_index(trailer), trailer_offset);
  build_lookup();
}

bool ImageReader::Impl::read_part(uint64_t offset, std::span<std::byte> out) const {
  if (!pipe_) return read_at(fd_.get(), offset, out, path_);
  if (offset != pipe_->offset())
    fail("{}: read at offset {} of a stream read up to {}", path_, offset, pipe_->offset());
  return pipe_->read(out);
}

// Magic, format version and header size; returns (version, header size).
std::pair<uint32_t, uint32_t> ImageReader::Impl::read_preamble_fields() const {
  if (size_ == 0) fail(ErrorKind::kImage, "{}: empty file, not a ckpt image", path_);
  std::array<std::byte, kPreambleFixedSize> fixed{};
  size_t have = std::min<uint64_t>(size_, fixed.size());
  if (!read_part(0, std::span(fixed).first(have))) {
    part_fail("preamble", 0, "truncated");
  }
  if (have < kMagic.size() || std::memcmp(fixed.data(), kMagic.data(), kMagic.size()) != 0) {
    fail(ErrorKind::kImage, "{}: not a ckpt image (no image magic at offset 0)", path_);
  }
  if (size_ < kMinImageSize) {
    fail(ErrorKind::kImage, "{}: truncated: {} bytes, a ckpt image has at least {}", path_, size_,
         kMinImageSize);
  }
  auto version = load<uint32_t>(fixed.data() + 8);
  if (version > kFormatVersion) {
    fail(ErrorKind::kImage,
         "{}: image format version {} is newer than this ckpt reads (up to {}): upgrade ckpt",
         path_, version, kFormatVersion);
  }
  if (version == 0) part_fail("preamble", 8, "invalid format version 0");
  auto header_size = load<uint32_t>(fixed.data() + 12);
  if (header_size > kMaxHeaderSize || kMinImageSize + header_size > size_) {
    part_fail(
        "preamble", 12,
        fmt::format("header size {} does not fit in the file of {} bytes", header_size, size_));
  }
  return {version, header_size};
}

void ImageReader::Impl::read_preamble() {
  auto [version, header_size] = read_preamble_fields();
  std::string body(header_size + kHeaderChecksumSize, '\0');
  auto bytes = std::as_writable_bytes(std::span(body.data(), body.size()));
  if (!read_part(kPreambleFixedSize, bytes)) {
    part_fail("header", kPreambleFixedSize, "truncated");
  }
  auto stored_sum = load<uint64_t>(bytes.data() + header_size);
  body.resize(header_size);
  if (checksum(body) != stored_sum) part_fail("header", kPreambleFixedSize, "checksum mismatch");
  try {
    header_ = from_bytes<Header>(body, "image header");
  } catch (const Error& e) {
    part_fail("header", kPreambleFixedSize, e.what());
  }
  if (header_.format_version != version) {
    part_fail("header", kPreambleFixedSize,
              fmt::format("format version {} differs from the preamble's {}",
                          header_.format_version, version));
  }
  preamble_end_ = kPreambleFixedSize + header_size + kHeaderChecksumSize;
}

uint64_t ImageReader::Impl::read_footer() {
  uint64_t at = size_ - kFooterSize;
  std::array<std::byte, kFooterSize> footer{};
  if (!read_part(at, footer)) part_fail("footer", at, "truncated");
  if (std::memcmp(footer.data() + 8, kEndMagic.data(), kEndMagic.size()) != 0) {
    part_fail("footer", at, "no end magic: the image is truncated or has trailing data");
  }
  auto trailer_offset = load<uint64_t>(footer.data());
  if (trailer_offset < preamble_end_ || trailer_offset > at - kSectionHeaderSize) {
    part_fail("footer", at, fmt::format("trailer offset {} out of bounds", trailer_offset));
  }
  return trailer_offset;
}

// Reads the section header at expected.offset; its payload must end at or before `limit`.
// Errors name the section as `expected` (what the index says) since a broken header cannot
// be trusted to name itself.
SectionInfo ImageReader::Impl::read_section_header(const SectionInfo& expected,
                                                   uint64_t limit) const {
  SectionHeaderBytes bytes{};
  if (expected.offset + kSectionHeaderSize > limit || !read_part(expected.offset, bytes)) {
    section_fail(expected, "header runs past the end of the sections");
  }
  return checked_section_header(bytes, &expected, expected.offset, limit);
}

SectionInfo ImageReader::Impl::checked_section_header(const SectionHeaderBytesView& bytes,
                                                      const SectionInfo* expected,
                                                      uint64_t offset, uint64_t limit) const {
  auto header_fail = [&](std::string_view problem) {
    if (expected) section_fail(*expected, problem);
    part_fail("section header", offset, problem);
  };
  SectionHeader h = decode_section_header(bytes, offset);
  if (h.magic != kSectionMagic) header_fail("bad section magic");
  if (h.header_checksum != section_header_checksum(bytes)) header_fail("header checksum mismatch");
  const SectionInfo& s = h.info;
  if (expected && (s.type != expected->type || s.id != expected->id || s.seq != expected->seq)) {
    section_fail(*expected, fmt::format("the section header says {}", describe(s)));
  }
  if (s.flags & ~kKnownFlags) section_fail(s, fmt::format("unknown flags {:#x}", s.flags));
  if (s.stored_size > limit - s.offset - kSectionHeaderSize) {
    section_fail(s, fmt::format("stored size {} runs past offset {}", s.stored_size, limit));
  }
  if (!(s.flags & kCompressed) && s.raw_size != s.stored_size) {
    section_fail(s, fmt::format("raw size {} differs from stored size {} of an uncompressed "
                                "payload",
                                s.raw_size, s.stored_size));
  }
  if (s.raw_size > kMaxSectionRawSize) {
    section_fail(
        s, fmt::format("raw size {} exceeds the limit of {}", s.raw_size, kMaxSectionRawSize));
  }
  return s;
}

std::vector<IndexEntry> ImageReader::Impl::read_index(const SectionInfo& trailer) {
  uint64_t max_entries = (trailer.offset - preamble_end_) / kSectionHeaderSize;
  if (trailer.raw_size % kIndexEntrySize != 0 || trailer.raw_size / kIndexEntrySize > max_entries) {
    section_fail(trailer,
                 fmt::format("index size {} is not a valid number of entries", trailer.raw_size));
  }
  std::string index;
  for_each_payload({&trailer}, [&](std::span<const std::byte> bytes) {
    index.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  });
  return decode_index(index);
}

void ImageReader::Impl::read_section_headers(const std::vector<IndexEntry>& index, uint64_t end) {
  sections_.reserve(index.size());
  uint64_t cursor = preamble_end_;
  for (const IndexEntry& e : index) {
    SectionInfo expected{.type = e.type, .id = e.id, .seq = e.seq, .offset = e.offset};
    if (e.type == SectionType::kTrailer) section_fail(expected, "trailer listed in the index");
    if (e.offset != cursor) {
      section_fail(expected, fmt::format("indexed at offset {}, the previous section ends at {}",
                                         e.offset, cursor));
    }
    SectionInfo s = read_section_header(expected, end);
    cursor = s.offset + kSectionHeaderSize + s.stored_size;
    sections_.push_back(s);
  }
  if (cursor != end) {
    part_fail("trailer", end, fmt::format("the indexed sections end at offset {}", cursor));
  }
}

void ImageReader::Impl::build_lookup() {
  for (size_t i = 0; i < sections_.size(); ++i) {
    const SectionInfo& s = sections_[i];
    auto& chunks = lookup_[{s.type, s.id}];
    if (s.seq != chunks.size()) {
      section_fail(s, fmt::format("chunk out of order, expected #{}", chunks.size()));
    }
    chunks.push_back(i);
  }
}

}  // namespace ckpt::image
