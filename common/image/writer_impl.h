// ImageWriter's state, shared by writer.cc (single sections, trailer) and stream_writer.cc.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/image/file_sink.h"
#include "common/image/image.h"
#include "common/image/signing.h"
#include "common/image/worker_pool.h"

namespace ckpt::image {

class ImageWriter::Impl {
 public:
  Impl(const std::string& path, const Header& header, const WriterOptions& options);

  const WriterOptions& options() const { return options_; }
  uint64_t bytes_written() const { return sink_.offset(); }
  WorkerPool& pool();

  void put_bytes(SectionType type, uint64_t id, std::span<const std::byte> payload);
  std::unique_ptr<Stream> open_stream(SectionType type, uint64_t id);
  void finish();

  // Appends one section; `info` carries everything but the offset.
  void write_section(SectionInfo info, std::span<const std::byte> stored);
  // Called by a stream when it closes, or is destroyed without closing (`completed` false).
  void stream_ended(bool completed);

 private:
  void claim(SectionType type, uint64_t id);
  void write_signature();
  void check_writable() const;

  std::string path_;
  WriterOptions options_;
  FileSink sink_;
  std::vector<SectionInfo> sections_;
  std::set<std::pair<SectionType, uint64_t>> written_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<Mac> mac_;  // with a sign key: over every byte up to the signature
  bool stream_open_ = false;
  bool broken_ = false;  // a stream was abandoned: the image would be incomplete
  bool finished_ = false;
};

// The writing side of one stream (stream_writer.cc).
std::unique_ptr<ImageWriter::Stream> make_stream_writer(ImageWriter::Impl& writer, SectionType type,
                                                        uint64_t id);

}  // namespace ckpt::image
