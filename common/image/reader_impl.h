// ImageReader's state: the open file and its checked index. reader_open.cc builds and checks it,
// reader.cc answers queries and loads payloads.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/image/buffer.h"
#include "common/image/format.h"
#include "common/image/image.h"
#include "common/image/pipe_input.h"
#include "common/image/worker_pool.h"
#include "common/unique_fd.h"

namespace ckpt::image {

using SectionHeaderBytesView = std::span<const std::byte, format::kSectionHeaderSize>;

class ImageReader::Impl {
 public:
  // Opens `path` and checks preamble, footer, trailer and every section header; streamed
  // (reader_stream.cc), the preamble and the section headers before the first page stream.
  Impl(const std::string& path, PipeMode pipe);

  const Header& header() const { return header_; }
  const std::vector<SectionInfo>& sections() const { return sections_; }
  uint64_t file_size() const { return size_; }
  int fd() const { return fd_.get(); }
  // The chunks of (type, id) in seq order; empty if absent.
  std::vector<const SectionInfo*> chunks(SectionType type, uint64_t id) const;

  // Reads, checks and decodes each section's payload in order, decoding ahead on the pool.
  void for_each_payload(const std::vector<const SectionInfo*>& list,
                        const std::function<void(std::span<const std::byte>)>& consume) const;
  // The same, decoding and consuming on the pool: `consume` runs there, chunks out of order.
  void for_each_payload_parallel(
      const std::vector<const SectionInfo*>& list,
      const std::function<void(uint64_t offset, std::span<const std::byte>)>& consume) const;
  // A payload of one of several readers (a chain's links), for reads across them.
  struct Part {
    const Impl* reader;
    const SectionInfo* section;
  };
  // Reads, checks and decodes the payloads of `parts` on the first one's pool, several at once,
  // and calls consume(index in `parts`, bytes) there, out of order: one pass, so that the
  // small payloads of many readers keep every decoding thread busy. The first exception (of a
  // payload or of consume) is rethrown once the payloads started have ended.
  static void for_each_part_parallel(
      const std::vector<Part>& parts,
      const std::function<void(size_t index, std::span<const std::byte>)>& consume);

  // reader_stream.cc: a page stream read from the pipe (or from memory, where it was held).
  bool streamed() const { return pipe_ != nullptr; }
  void read_streamed_pages(uint64_t id, bool in_order,
                           const std::function<void(uint64_t, std::span<const std::byte>)>& consume);
  void hold_page_streams(bool hold) { holding_ = hold; }
  void finish_streamed();
  // The stream copied to a temp file (what came first too), then opened as a file.
  void spool_streamed();
  void stream_rest() { pipe_->keep_no_more(); }

  [[noreturn]] void section_fail(const SectionInfo& s, std::string_view problem) const;
  [[noreturn]] void part_fail(std::string_view part, uint64_t offset,
                              std::string_view problem) const;
  const std::string& path() const { return path_; }

  // Whether the payload of `s` was read and checked already (its checksum, and that it decodes
  // to its raw size): verify() does not decode it again.
  bool checked(const SectionInfo& s) const;
  void mark_checked(const SectionInfo& s) const;

 private:
  // reader_open.cc
  void open_file();
  // What came from the pipe and the rest of it, in an unlinked temp file: fd_ (the pipe and what
  // was read from it dropped).
  void spool_pipe();
  // Reads `out` at `offset`: from the file, or (streamed) the next bytes of the pipe.
  bool read_part(uint64_t offset, std::span<std::byte> out) const;
  std::pair<uint32_t, uint32_t> read_preamble_fields() const;
  void read_preamble();
  uint64_t read_footer();
  SectionInfo read_section_header(const SectionInfo& expected, uint64_t limit) const;
  // The header in `bytes`, its magic, checksum, flags and sizes checked (its payload must end by
  // `limit`); errors name `expected`, or (none) the header's offset.
  SectionInfo checked_section_header(const SectionHeaderBytesView& bytes,
                                     const SectionInfo* expected, uint64_t offset,
                                     uint64_t limit) const;
  std::vector<format::IndexEntry> read_index(const SectionInfo& trailer);
  void read_section_headers(const std::vector<format::IndexEntry>& index, uint64_t end);
  void build_lookup();

  // reader_stream.cc
  bool open_streamed();
  SectionInfo read_streamed_header();
  void read_streamed_payload(const SectionInfo& s, Buffer& stored);
  // The next chunk of page stream `id` from the pipe into `stored`, if the pipe is at one.
  std::optional<SectionInfo> next_streamed_chunk(uint64_t id, Buffer& stored);
  void hold_pending_stream();
  void read_held_stream(uint64_t id, bool in_order,
                        const std::function<void(uint64_t, std::span<const std::byte>)>& consume);
  void pipe_stream(uint64_t id, bool in_order,
                   const std::function<void(uint64_t, std::span<const std::byte>)>& consume);
  void check_streamed_trailer(const SectionInfo& trailer);

  // reader.cc
  void load_payload(const SectionInfo& s, Buffer& stored, Buffer& raw) const;
  // Checks `stored` (the payload of `s` as stored) and decodes it into `raw`.
  void decode_payload(const SectionInfo& s, std::span<const std::byte> stored, Buffer& raw) const;
  WorkerPool& pool() const;
  // Whether decoding `list` on the pool pays (large, and not in a forked copy of the reader).
  bool worth_the_pool(const std::vector<const SectionInfo*>& list) const;

  std::string path_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  uint64_t preamble_end_ = 0;
  Header header_;
  std::vector<SectionInfo> sections_;
  std::map<std::pair<SectionType, uint64_t>, std::vector<size_t>> lookup_;
  mutable std::mutex pool_mutex_;
  mutable std::unique_ptr<WorkerPool> pool_;  // decodes ahead; started on first large read
  mutable pid_t pool_pid_ = 0;
  mutable std::mutex checked_mutex_;
  mutable std::set<uint64_t> checked_;  // offsets of the sections checked
  // Streamed: the pipe, the stored payloads read from it and held (by offset), the header read
  // last and not yet consumed, the page streams held (their chunks) and those read already.
  std::unique_ptr<PipeInput> pipe_;
  std::map<uint64_t, Buffer> held_;
  SectionInfo pending_;
  std::map<uint64_t, std::vector<SectionInfo>> held_streams_;
  std::set<uint64_t> streams_read_;
  std::vector<SectionInfo> streamed_;  // the page streams' chunks, in stream order
  bool holding_ = false;
  // A forked copy of the reader (the restore's root task, pid 1 of a new pid namespace) decodes
  // on its own thread: threads started there would take the pids the restored tree needs.
  pid_t opened_by_ = ::getpid();
};

}  // namespace ckpt::image
