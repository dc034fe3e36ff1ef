#include "migrate/image_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "common/image/file_sink.h"

namespace ckpt::migrate {
namespace {

constexpr size_t kReadBytes = 1u << 20;  // at most this much of the image per frame
// Room in the pipe for the records of a usual container, so that the dump does not wait for
// the thread (only a hint: the default 64 KiB works too, more slowly).
constexpr int kPipeBytes = 1 << 20;

}  // namespace

ImageStream::ImageStream(Channel& channel) : channel_(channel) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe for the final image");
  read_.reset(fds[0]);
  write_.reset(fds[1]);
  (void)::fcntl(write_.get(), F_SETPIPE_SZ, kPipeBytes);
  thread_ = std::thread([this] { forward(); });
}

ImageStream::~ImageStream() {
  stop();
}

std::string ImageStream::output() const {
  return std::string(image::FileSink::kFdPrefix) + std::to_string(write_.get());
}

void ImageStream::stop() {
  write_.reset();  // the thread reads to the end
  if (thread_.joinable()) thread_.join();
}

void ImageStream::finish() {
  stop();
  if (error_) std::rethrow_exception(error_);
}

// Whatever the pipe holds goes as one frame; a failure to send is kept for finish(), and the
// pipe is read on to its end all the same, so that the dump never waits on a full pipe.
void ImageStream::forward() {
  std::vector<std::byte> buffer(kReadBytes);
  for (;;) {
    ssize_t n = ::read(read_.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) break;
    if (n < 0) {
      if (!error_) error_ = std::make_exception_ptr(Error(fmt::format(
                       "read the final image's pipe: {}", std::strerror(errno)), errno));
      break;
    }
    if (error_) continue;
    try {
      channel_.send(FrameType::kImage, std::span(buffer.data(), static_cast<size_t>(n)));
      bytes_ += static_cast<uint64_t>(n);
    } catch (...) {
      error_ = std::current_exception();
    }
  }
  read_.reset();  // a dump still writing hears EPIPE rather than wait
}

}  // namespace ckpt::migrate
