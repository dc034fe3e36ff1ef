#include "common/image/pipe_input.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/cancel.h"
#include "common/error.h"

namespace ckpt::image {

constexpr int kPipeSize = 1 << 20;

PipeInput::PipeInput(UniqueFd fd, std::string what) : fd_(std::move(fd)), what_(std::move(what)) {
  (void)::fcntl(fd_.get(), F_SETPIPE_SZ, kPipeSize);  // a socket or a capped pipe: as it is
}

size_t PipeInput::read_some(std::span<std::byte> out) {
  for (;;) {
    throw_if_cancelled();
    ssize_t n = ::read(fd_.get(), out.data(), out.size());
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) throw_errno("read the image from {}", what_);
  }
}

bool PipeInput::read(std::span<std::byte> out) {
  size_t done = 0;
  while (done < out.size()) {
    size_t n = read_some(out.subspan(done));
    if (n == 0) break;
    done += n;
  }
  if (keeping_) kept_.insert(kept_.end(), out.begin(), out.begin() + static_cast<ptrdiff_t>(done));
  offset_ += done;
  return done == out.size();
}

bool PipeInput::at_end() {
  std::byte probe{};
  if (read_some(std::span(&probe, 1)) == 0) return true;
  if (keeping_) kept_.push_back(probe);
  ++offset_;
  return false;
}

void PipeInput::keep_no_more() {
  keeping_ = false;
  kept_.clear();
  kept_.shrink_to_fit();
}

}  // namespace ckpt::image
