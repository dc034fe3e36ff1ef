#include "ckpt/shmem_contents.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "common/error.h"

namespace ckpt::dump {

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kChunk = 1u << 20;

// Reads exactly `size` bytes at `offset` (the file does not change: its users are frozen).
void read_at(int fd, char* buf, uint64_t size, uint64_t offset) {
  uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, buf + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read shared memory at {:#x}", offset + done);
    if (n == 0) fail("shared memory ended at {:#x}, expected {:#x}", offset + done, offset + size);
    done += static_cast<uint64_t>(n);
  }
}

bool all_zero(const char* data, uint64_t size) {
  return data[0] == 0 && std::memcmp(data, data + 1, size - 1) == 0;
}

// The next range [data, hole) at or after `at` that holds data, or nothing past the end.
bool next_data(int fd, uint64_t at, uint64_t size, uint64_t& data, uint64_t& hole) {
  off_t d = ::lseek(fd, static_cast<off_t>(at), SEEK_DATA);
  if (d < 0 && errno == ENXIO) return false;
  if (d < 0) throw_errno("lseek(SEEK_DATA, {:#x}) in shared memory", at);
  off_t h = ::lseek(fd, d, SEEK_HOLE);
  if (h < 0) throw_errno("lseek(SEEK_HOLE, {:#x}) in shared memory", d);
  data = std::min<uint64_t>(static_cast<uint64_t>(d), size);
  hole = std::min<uint64_t>(static_cast<uint64_t>(h), size);
  return data < hole;
}

class ExtentWriter {
 public:
  explicit ExtentWriter(image::ImageWriter::Stream& out) : out_(out) {}

  void page(uint64_t offset, const char* data, uint64_t size) {
    if (all_zero(data, size)) return;
    if (!extents_.empty() && extents_.back().offset + extents_.back().length == offset)
      extents_.back().length += size;
    else
      extents_.push_back({offset, size});
    out_.write(data, size);
  }
  std::vector<records::SharedExtent> take() { return std::move(extents_); }

 private:
  image::ImageWriter::Stream& out_;
  std::vector<records::SharedExtent> extents_;
};

}  // namespace

std::vector<records::SharedExtent> write_present_pages(int fd, uint64_t size,
                                                       image::ImageWriter::Stream& out) {
  std::string buffer(kChunk, '\0');
  ExtentWriter writer(out);
  uint64_t data = 0, hole = 0;
  for (uint64_t at = 0; at < size && next_data(fd, at, size, data, hole); at = hole) {
    data -= data % kPage;
    for (uint64_t pos = data; pos < hole;) {
      uint64_t n = std::min(kChunk, hole - pos);
      read_at(fd, buffer.data(), n, pos);
      for (uint64_t off = 0; off < n; off += kPage)
        writer.page(pos + off, buffer.data() + off, std::min(kPage, n - off));
      pos += n;
    }
  }
  return writer.take();
}

void write_whole_file(int fd, uint64_t size, image::ImageWriter::Stream& out) {
  std::string buffer(kChunk, '\0');
  for (uint64_t pos = 0; pos < size;) {
    uint64_t n = std::min(kChunk, size - pos);
    read_at(fd, buffer.data(), n, pos);
    out.write(buffer.data(), n);
    pos += n;
  }
}

}  // namespace ckpt::dump
