// ImageReader's state: the open file and its checked index. reader_open.cc builds and checks it,
// reader.cc answers queries and loads payloads.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/image/buffer.h"
#include "common/image/format.h"
#include "common/image/image.h"
#include "common/image/worker_pool.h"
#include "common/unique_fd.h"

namespace ckpt::image {

class ImageReader::Impl {
 public:
  // Opens `path` and checks preamble, footer, trailer and every section header.
  explicit Impl(const std::string& path);

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

  [[noreturn]] void section_fail(const SectionInfo& s, std::string_view problem) const;
  [[noreturn]] void part_fail(std::string_view part, uint64_t offset,
                              std::string_view problem) const;
  const std::string& path() const { return path_; }

 private:
  // reader_open.cc
  std::pair<uint32_t, uint32_t> read_preamble_fields() const;
  void read_preamble();
  uint64_t read_footer();
  SectionInfo read_section_header(const SectionInfo& expected, uint64_t limit) const;
  std::vector<format::IndexEntry> read_index(const SectionInfo& trailer);
  void read_section_headers(const std::vector<format::IndexEntry>& index, uint64_t end);
  void build_lookup();

  // reader.cc
  void load_payload(const SectionInfo& s, Buffer& stored, Buffer& raw) const;
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
  // A forked copy of the reader (the restore's root task, pid 1 of a new pid namespace) decodes
  // on its own thread: threads started there would take the pids the restored tree needs.
  pid_t opened_by_ = ::getpid();
};

}  // namespace ckpt::image
