// The ckpt image: one file, written and read as a stream.
//
//   file    := preamble section* trailer-section footer
//   preamble:= magic "CKPTIMG\0" | u32 format version | u32 header size | header | u64 xxh3(header)
//   section := u32 magic "SECT" | u32 type | u64 id | u32 flags | u32 seq | u64 raw size
//              | u64 stored size | u64 xxh3(payload as stored) | u64 xxh3(these header fields)
//              | payload
//   footer  := u64 offset of the trailer section | magic "CKPTEND\0"
//
// All integers little-endian. A payload is zstd-compressed when flags has kCompressed. Large
// payloads are written as a *stream*: several sections with the same (type, id) and increasing
// seq, each an independently decodable chunk of a few MiB, so neither side holds it whole.
// The trailer indexes every section (type, id, seq, offset) for seeking readers; sections follow
// each other without gaps, in index order. A reader refuses a newer format version, checks every
// size against the file before using it and every header against its checksum before trusting
// it, and reports any damage as one Error line naming the part and its offset, e.g.
// "img.ckpt: section pages/1234 #3 at offset 81920: checksum mismatch".
#pragma once

#include "common/records/fields.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/image/archive.h"
#include "common/image/section_type.h"

namespace ckpt::image {

// 2: a kLineage section, page hashes in each pagemap, and incremental images whose pagemaps
// have runs `in_parent` (records/mm.h). Version 1 images are read as full images.
inline constexpr uint32_t kFormatVersion = 2;

// What the preamble says about the image.
struct Header {
  uint32_t format_version = kFormatVersion;
  std::string arch;          // "x86_64"
  std::string kernel;        // uname -r of the dumping host
  std::string ckpt_version;  // CKPT_VERSION_STRING
  int64_t created_unix = 0;  // seconds since the epoch
  std::string container_id;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    records::fields(ar, format_version, arch, kernel, ckpt_version, created_unix, container_id);
  }
};

// A header filled in for this host and now.
Header make_header(const std::string& container_id);

enum SectionFlags : uint32_t {
  kCompressed = 1u << 0,
};

struct SectionInfo {
  SectionType type{};
  uint64_t id = 0;
  uint32_t flags = 0;
  uint32_t seq = 0;  // chunk number within a stream, 0 for single sections
  uint64_t raw_size = 0;
  uint64_t stored_size = 0;
  uint64_t checksum = 0;
  uint64_t offset = 0;  // of the section header in the file
};

struct WriterOptions {
  int zstd_level = 1;              // 0 stores payloads uncompressed
  int threads = 0;                 // compression threads for streams; 0 = one per CPU
  size_t chunk_size = 4u << 20;    // raw bytes per stream chunk
  size_t min_compress_size = 512;  // smaller payloads are stored as they are
  std::string sign_key;            // not empty: a kSignature section is added (image/signing.h)
};

class ImageWriter {
 public:
  // path "-" writes to stdout. Otherwise the image goes to a temp file next to `path`
  // (mode 0600) and appears under `path` only when finish() succeeds.
  ImageWriter(const std::string& path, const Header& header, const WriterOptions& options = {});
  // Without finish(): the temp file is removed; nothing appears under `path`.
  ~ImageWriter();
  ImageWriter(const ImageWriter&) = delete;
  ImageWriter& operator=(const ImageWriter&) = delete;

  // One section holding `payload`; one stream of chunks if it is larger than a chunk.
  void put_bytes(SectionType type, uint64_t id, std::span<const std::byte> payload);
  void put_bytes(SectionType type, uint64_t id, const std::string& payload) {
    put_bytes(type, id, std::as_bytes(std::span(payload.data(), payload.size())));
  }
  // One section holding a record serialized with Boost.Serialization.
  template <typename Record>
  void put(SectionType type, uint64_t id, const Record& record) {
    put_bytes(type, id, to_bytes(record));
  }

  // A payload written piecewise: each full chunk becomes one section (compressed on a pool of
  // threads, written in order). Only one stream is open at a time; close() flushes the rest.
  class Stream {
   public:
    virtual ~Stream() = default;
    virtual void write(std::span<const std::byte> data) = 0;
    void write(const void* data, size_t size) {
      write(std::span(static_cast<const std::byte*>(data), size));
    }
    virtual void close() = 0;
  };
  // A stream must be closed (or destroyed) before the writer; destroying it without close()
  // leaves the image incomplete, and finish() then refuses.
  std::unique_ptr<Stream> open_stream(SectionType type, uint64_t id);

  // Writes the trailer and footer, fsyncs, renames into place.
  void finish();

  // Bytes written to the file so far (headers and stored payloads), for progress and statistics.
  uint64_t bytes_written() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// How ImageReader reads an image from a pipe or FIFO ("-" or a FIFO's path).
enum class PipeMode {
  kSpool,   // copied to an unlinked temp file first, then read as a file
  kStream,  // read once, in order, while it arrives (reader_stream.cc): an image with a
            // kStreamOrder section; any other is copied as with kSpool
};

class ImageReader;

// A payload of an image: read_streams_parallel reads several at once.
struct StreamRef {
  const ImageReader* image = nullptr;
  SectionType type{};
  uint64_t id = 0;
};

class ImageReader {
 public:
  // path "-" reads stdin. Reads and checks the preamble, the footer and the trailer index;
  // payload checksums are checked when a payload is read, or all at once by verify(). Throws
  // Error naming the section and offset on any inconsistency.
  // Streamed (kStream and a stream-ordered image): only the sections before the first page
  // stream are read here (and held in memory, as stored); sections() and verify() cover those,
  // each page stream is read from the pipe when it is asked for (read_stream*), checked chunk by
  // chunk, and finish_reading() checks the rest (trailer, footer, end of the stream).
  explicit ImageReader(const std::string& path);  // PipeMode::kSpool
  ImageReader(const std::string& path, PipeMode pipe);
  ~ImageReader();
  ImageReader(const ImageReader&) = delete;
  ImageReader& operator=(const ImageReader&) = delete;

  const Header& header() const;
  const std::vector<SectionInfo>& sections() const;  // in file order, trailer excluded
  bool has(SectionType type, uint64_t id) const;
  // Ids of all sections of a type, each once, in file order.
  std::vector<uint64_t> ids(SectionType type) const;

  // The whole payload of (type, id), all chunks concatenated. Throws if missing (or over 4 GiB).
  std::string get_bytes(SectionType type, uint64_t id) const;
  template <typename Record>
  Record get(SectionType type, uint64_t id) const {
    return from_bytes<Record>(get_bytes(type, id), section_name(type).data());
  }
  // The payload of (type, id) chunk by chunk, decompressed and checked, in order.
  void read_stream(SectionType type, uint64_t id,
                   const std::function<void(std::span<const std::byte>)>& consume) const;
  // The same chunks handed to `consume` on the reader's decoding threads, several at once, in no
  // particular order, with their offsets in the payload (`consume` must be thread-safe); each is
  // the reader's own decoding buffer, which `consume` may change. Returns when every call has
  // returned; the first exception (a chunk's or consume's) is rethrown, no further chunk started.
  void read_stream_parallel(
      SectionType type, uint64_t id,
      const std::function<void(uint64_t offset, std::span<const std::byte>)>& consume) const;

  // Checks every section's checksum and that every payload decompresses to its raw size; a
  // payload this reader has read already (and so checked) is not decoded again.
  void verify() const;

  // Streamed: page streams read from the pipe while `hold` is set are kept in memory (as stored)
  // for a second read; one asked for after others that came first is read from memory too.
  // A file: nothing to do.
  void hold_page_streams(bool hold) const;
  // Streamed, before any page stream was read: the rest of the stream read to its end into an
  // unlinked temp file with what came already (the records), read from then on as a file
  // (sections() lists every section, verify() checks them all). A file: nothing to do.
  void spool_rest() const;
  // Streamed: spool_rest() will not be asked for; the bytes kept for it (the records once more,
  // as they came) are dropped now rather than when the first page stream is read.
  void stream_rest() const;
  // Streamed: reads what is left (page streams nobody asked for are checked and dropped, the
  // signature, the trailer, whose index must list exactly the sections read, the footer) and
  // refuses any byte after the footer. A file: nothing to do.
  void finish_reading() const;

  // Size of the image file in bytes (streamed: known once finish_reading() returned).
  uint64_t file_size() const;
  // The file's bytes at `offset`, as stored (e.g. for its signature, image/signing.h).
  void read_raw(uint64_t offset, std::span<std::byte> out) const;

  class Impl;

 private:
  friend void verify_all(std::span<const ImageReader* const> images);
  friend void read_streams_parallel(
      std::span<const StreamRef> streams,
      const std::function<void(size_t, uint64_t, std::span<const std::byte>)>& consume);
  std::unique_ptr<Impl> impl_;
};

// verify() of each of `images` (a chain's links), their payloads decoded in one pass on one
// pool: a dozen images of a few chunks each would otherwise leave decoding threads idle at the
// end of each image's.
void verify_all(std::span<const ImageReader* const> images);

// read_stream_parallel() of each of `streams` in one pass on one pool (their chunks in turn,
// several at once, in no particular order): consume(index in `streams`, offset in that payload,
// bytes), thread-safe. A stream read from a pipe is read on its own: then each is, in turn.
void read_streams_parallel(
    std::span<const StreamRef> streams,
    const std::function<void(size_t index, uint64_t offset, std::span<const std::byte>)>& consume);

}  // namespace ckpt::image
