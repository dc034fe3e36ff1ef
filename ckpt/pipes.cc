#include "ckpt/pipes.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "common/proc/pidfd.h"
#include "common/unique_fd.h"

namespace ckpt::dump {

namespace {

// A read end of the same pipe: the taken fd itself when readable, else the pipe reopened
// through /proc (opening a pipe's /proc fd link opens the same pipe).
UniqueFd readable_end(UniqueFd taken, pid_t pid, int fd) {
  int flags = ::fcntl(taken.get(), F_GETFL);
  if (flags < 0) throw_errno("fcntl(F_GETFL) on pid {} fd {}", pid, fd);
  if ((flags & O_ACCMODE) != O_WRONLY) return taken;
  std::string path = "/proc/self/fd/" + std::to_string(taken.get());
  UniqueFd reader(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!reader) throw_errno("reopen pipe of pid {} fd {} for reading", pid, fd);
  return reader;
}

// Reads `size` bytes of our copy; `packets` gets the size of each read: a read of a packet
// (written in packet mode, O_DIRECT) ends with it.
std::string drain(int fd, size_t size, std::vector<uint32_t>& packets) {
  std::string data(size, '\0');
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, data.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_errno("read copy of pipe");
    done += static_cast<size_t>(n);
    packets.push_back(static_cast<uint32_t>(n));
  }
  return data;
}

// tee(2) copies the buffers with their packet marks.
std::string copy_buffered(int source, uint32_t capacity, size_t size, pid_t pid, int fd,
                          std::vector<uint32_t>& packets) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0) throw_errno("pipe2");
  UniqueFd read_end(ends[0]);
  UniqueFd write_end(ends[1]);
  if (::fcntl(write_end.get(), F_SETPIPE_SZ, capacity) < 0)
    throw_errno("F_SETPIPE_SZ({}) for a copy of pid {} fd {}", capacity, pid, fd);
  ssize_t copied = ::tee(source, write_end.get(), size, SPLICE_F_NONBLOCK);
  if (copied < 0) throw_errno("tee from pid {} fd {}", pid, fd);
  if (static_cast<size_t>(copied) != size)
    fail("tee from pid {} fd {}: copied {} of {} bytes", pid, fd, copied, size);
  return drain(read_end.get(), size, packets);
}

}  // namespace

PipeContents peek_pipe(pid_t pid, int fd, bool packet_writer) {
  UniqueFd source = readable_end(proc::take_fd(pid, fd), pid, fd);
  PipeContents contents;
  int capacity = ::fcntl(source.get(), F_GETPIPE_SZ);
  if (capacity < 0) throw_errno("F_GETPIPE_SZ on pid {} fd {}", pid, fd);
  contents.capacity = static_cast<uint32_t>(capacity);
  int buffered = 0;
  if (::ioctl(source.get(), FIONREAD, &buffered) != 0)
    throw_errno("FIONREAD on pid {} fd {}", pid, fd);
  if (buffered > 0) {
    contents.data =
        copy_buffered(source.get(), contents.capacity, static_cast<size_t>(buffered), pid, fd,
                      contents.packets);
    // A read of all that is buffered stops short only at a packet's end.
    if (contents.packets.size() == 1 && !packet_writer) contents.packets.clear();
  }
  return contents;
}

}  // namespace ckpt::dump
