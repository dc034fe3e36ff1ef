// Where an image is written: stdout, or a temp file next to the final path that is fsynced and
// renamed into place by commit() and removed if commit() never happens.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/unique_fd.h"

namespace ckpt::image {

class FileSink {
 public:
  // "-" = stdout; "/dev/fd/N" = our fd N, written from where it is (no temp file, no fsync).
  explicit FileSink(const std::string& path);
  static constexpr std::string_view kFdPrefix = "/dev/fd/";
  ~FileSink();
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  // Writes `head` then `body`, all of both.
  void write(std::span<const std::byte> head, std::span<const std::byte> body = {});
  // Bytes written so far.
  uint64_t offset() const { return offset_; }
  // Makes the image durable and visible under its final path.
  void commit();

 private:
  static constexpr uint64_t kWritebackStretch = 16u << 20;
  void start_writeback();

  std::string path_;
  std::string temp_path_;  // empty for stdout
  UniqueFd owned_fd_;
  int fd_ = -1;
  uint64_t offset_ = 0;
  uint64_t writeback_from_ = 0;  // bytes before it have had their writeback started
  bool committed_ = false;
};

}  // namespace ckpt::image
