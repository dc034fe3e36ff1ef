// THROWAWAY stand-in for the image implementation (branch `image`); deleted before merging main.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <map>

#include "common/error.h"
#include "common/image/image.h"
#include "common/unique_fd.h"

namespace ckpt::image {

Header make_header(const std::string& container_id) {
  Header h;
  h.arch = "x86_64";
  h.container_id = container_id;
  return h;
}

class ImageWriter::Impl {
 public:
  UniqueFd fd;
  std::string path, tmp;
  uint64_t written = 0;
  bool finished = false;
  void put(SectionType type, uint64_t id, const void* data, uint64_t size) {
    uint32_t t = static_cast<uint32_t>(type);
    char head[20];
    memcpy(head, &t, 4);
    memcpy(head + 4, &id, 8);
    memcpy(head + 12, &size, 8);
    write_all(head, sizeof head);
    write_all(data, size);
  }
  void write_all(const void* p, size_t n) {
    auto* c = static_cast<const char*>(p);
    while (n) {
      ssize_t w = ::write(fd.get(), c, n);
      if (w < 0) throw_errno("write {}", tmp);
      c += w;
      n -= w;
      written += w;
    }
  }
};

ImageWriter::ImageWriter(const std::string& path, const Header&, const WriterOptions&)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->tmp = path + ".tmp";
  impl_->fd.reset(::open(impl_->tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600));
  if (!impl_->fd) throw_errno("open {}", impl_->tmp);
}
ImageWriter::~ImageWriter() {
  if (!impl_->finished) ::unlink(impl_->tmp.c_str());
}
void ImageWriter::put_bytes(SectionType type, uint64_t id, std::span<const std::byte> payload) {
  impl_->put(type, id, payload.data(), payload.size());
}
namespace {
class StubStream : public ImageWriter::Stream {
 public:
  StubStream(ImageWriter::Impl* w, SectionType t, uint64_t id) : w_(w), t_(t), id_(id) {}
  void write(std::span<const std::byte> data) override {
    buf_.insert(buf_.end(), data.begin(), data.end());
    if (buf_.size() >= (4u << 20)) flush();
  }
  void close() override { flush(); }
  ~StubStream() override = default;

 private:
  void flush() {
    if (buf_.empty()) return;
    w_->put(t_, id_, buf_.data(), buf_.size());
    buf_.clear();
  }
  ImageWriter::Impl* w_;
  SectionType t_;
  uint64_t id_;
  std::vector<std::byte> buf_;
};
}  // namespace
std::unique_ptr<ImageWriter::Stream> ImageWriter::open_stream(SectionType type, uint64_t id) {
  return std::make_unique<StubStream>(impl_.get(), type, id);
}
void ImageWriter::finish() {
  if (::rename(impl_->tmp.c_str(), impl_->path.c_str())) throw_errno("rename {}", impl_->path);
  impl_->finished = true;
}
uint64_t ImageWriter::bytes_written() const { return impl_->written; }

class ImageReader::Impl {
 public:
  Header header;
  std::vector<SectionInfo> sections;
  std::string data;
};

ImageReader::ImageReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY));
  if (!fd) throw_errno("open {}", path);
  char buf[1 << 16];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) impl_->data.append(buf, n);
  size_t off = 0;
  while (off + 20 <= impl_->data.size()) {
    SectionInfo s;
    uint32_t t;
    memcpy(&t, impl_->data.data() + off, 4);
    memcpy(&s.id, impl_->data.data() + off + 4, 8);
    memcpy(&s.raw_size, impl_->data.data() + off + 12, 8);
    s.type = static_cast<SectionType>(t);
    s.offset = off + 20;
    s.stored_size = s.raw_size;
    impl_->sections.push_back(s);
    off += 20 + s.raw_size;
  }
}
ImageReader::~ImageReader() = default;
const Header& ImageReader::header() const { return impl_->header; }
const std::vector<SectionInfo>& ImageReader::sections() const { return impl_->sections; }
bool ImageReader::has(SectionType type, uint64_t id) const {
  for (auto& s : impl_->sections)
    if (s.type == type && s.id == id) return true;
  return false;
}
std::vector<uint64_t> ImageReader::ids(SectionType type) const {
  std::vector<uint64_t> out;
  for (auto& s : impl_->sections)
    if (s.type == type && std::find(out.begin(), out.end(), s.id) == out.end()) out.push_back(s.id);
  return out;
}
std::string ImageReader::get_bytes(SectionType type, uint64_t id) const {
  std::string out;
  bool found = false;
  for (auto& s : impl_->sections)
    if (s.type == type && s.id == id) {
      out.append(impl_->data, s.offset, s.raw_size);
      found = true;
    }
  if (!found) fail("image has no section {} {}", section_name(type), id);
  return out;
}
void ImageReader::read_stream(SectionType type, uint64_t id,
                              const std::function<void(std::span<const std::byte>)>& consume) const {
  for (auto& s : impl_->sections)
    if (s.type == type && s.id == id)
      consume(std::as_bytes(std::span(impl_->data.data() + s.offset, s.raw_size)));
}
void ImageReader::verify() const {}

}  // namespace ckpt::image
