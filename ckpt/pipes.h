// Reading what a pipe of another (stopped) process holds without consuming it: the fd is taken
// with pidfd_getfd and its buffers are tee(2)'d into a pipe of ours, which we then drain.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::dump {

struct PipeContents {
  uint32_t capacity = 0;  // F_GETPIPE_SZ
  std::string data;       // the bytes buffered, in order
  // A pipe in packet mode (O_DIRECT): the size of each packet, in order (a read takes one).
  std::vector<uint32_t> packets;
};

// `fd` of `pid` is either end of a pipe or FIFO. The pipe is left exactly as it was.
// `packet_writer`: a description of it writes packets (O_DIRECT): one packet alone buffered is
// kept as one (several tell themselves apart).
PipeContents peek_pipe(pid_t pid, int fd, bool packet_writer);

}  // namespace ckpt::dump
