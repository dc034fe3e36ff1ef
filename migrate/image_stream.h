// The final image of a migration sent while the dump writes it. The dump writes into a pipe
// (output()); a thread of this sends what comes out of it as kImage frames at once, so that the
// image travels while the frozen container's state is still being collected (each record is
// written as it is made), instead of being written whole to memory and sent after it. finish(),
// once the dump's image is complete, waits for its last byte to be sent.
#pragma once

#include <exception>
#include <string>
#include <thread>

#include "common/unique_fd.h"
#include "migrate/protocol.h"

namespace ckpt::migrate {

class ImageStream {
 public:
  explicit ImageStream(Channel& channel);
  // Closes the pipe and waits for the thread (whatever came is sent or dropped): on any
  // failure of the dump too.
  ~ImageStream();
  ImageStream(const ImageStream&) = delete;
  ImageStream& operator=(const ImageStream&) = delete;

  // The dump's output: "/dev/fd/N", the pipe's writing end.
  std::string output() const;
  // The dump's image is complete: returns once all of it is sent; throws what sending met
  // (a broken channel).
  void finish();
  uint64_t bytes() const { return bytes_; }

 private:
  void forward();
  void stop();

  Channel& channel_;
  UniqueFd read_, write_;
  std::thread thread_;
  std::exception_ptr error_;  // of the thread: the pipe is drained on, its bytes dropped
  uint64_t bytes_ = 0;
};

}  // namespace ckpt::migrate
