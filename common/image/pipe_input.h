// An image arriving on a pipe, read once and in order (a streamed ImageReader, reader_stream.cc):
// offsets count from the image's first byte, and the bytes read are kept until the reader
// knows whether it streams the image or copies it to a temp file after all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/unique_fd.h"

namespace ckpt::image {

class PipeInput {
 public:
  // Widens the pipe (fewer wake-ups of writer and reader per chunk) where it may.
  PipeInput(UniqueFd fd, std::string what);

  int fd() const { return fd_.get(); }
  uint64_t offset() const { return offset_; }
  // Fills `out` from the stream; false when it ended first.
  bool read(std::span<std::byte> out);
  // Whether the stream ends here (nothing more comes).
  bool at_end();
  // The bytes read so far, while kept; keep_no_more() drops them and stops keeping.
  std::span<const std::byte> kept() const { return kept_; }
  void keep_no_more();

 private:
  size_t read_some(std::span<std::byte> out);

  UniqueFd fd_;
  std::string what_;
  uint64_t offset_ = 0;
  bool keeping_ = true;
  std::vector<std::byte> kept_;
};

}  // namespace ckpt::image
