#include "restore/pipes.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "common/error.h"
#include "common/fs.h"
#include "restore/fd_kinds.h"
#include "restore/files_removed_dirs.h"

namespace ckpt::restore {

namespace {

using records::PipeObject;

void set_capacity(int fd, const PipeObject& pipe) {
  if (pipe.capacity == 0) return;
  if (::fcntl(fd, F_SETPIPE_SZ, pipe.capacity) < 0)
    throw_errno("restore pipe {}: F_SETPIPE_SZ({})", pipe.id, pipe.capacity);
}

// A pipe in packet mode gets each packet by its own write of a new O_DIRECT description.
void write_packets(int write_fd, const PipeObject& pipe, const std::string& data) {
  uint64_t total = 0;
  for (uint32_t size : pipe.packets) total += size;
  if (total != data.size())
    fail("restore pipe {}: packets of {} bytes in all, data {}", pipe.id, total, data.size());
  UniqueFd writer = reopen(write_fd, O_WRONLY | O_NONBLOCK);
  // (open refuses O_DIRECT on a pipe; F_SETFL takes it)
  if (::fcntl(writer.get(), F_SETFL, O_DIRECT | O_NONBLOCK) != 0)
    throw_errno("restore pipe {}: make a packet writer", pipe.id);
  size_t at = 0;
  for (uint32_t size : pipe.packets) {
    if (::write(writer.get(), data.data() + at, size) != static_cast<ssize_t>(size))
      throw_errno("restore pipe {}: write a packet of {} bytes", pipe.id, size);
    at += size;
  }
}

void refill(int write_fd, const PipeObject& pipe, const ReadFileData& read_data) {
  if (pipe.data_size == 0) return;
  std::string packet_data;
  uint64_t written = 0;
  read_data(pipe.data_id, [&](std::span<const std::byte> chunk) {
    constexpr uint64_t kMaxPacketData = 16 << 20;  // a pipe holds at most pipe-max-size
    if (pipe.packets.empty())
      fs::write_all(write_fd, chunk, "pipe data");
    else if (written + chunk.size() > kMaxPacketData)
      fail("restore pipe {}: more packet data than a pipe holds", pipe.id);
    else
      packet_data.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    written += chunk.size();
  });
  if (written != pipe.data_size)
    fail("restore pipe {}: image holds {} bytes of data, expected {}", pipe.id, written,
         pipe.data_size);
  if (!pipe.packets.empty()) write_packets(write_fd, pipe, packet_data);
}

UniqueFd open_fifo(const PipeObject& pipe) {
  UniqueFd fd(::open(pipe.fifo_path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd && errno == ENOENT) fail("restore files: {} no longer exists", pipe.fifo_path);
  if (!fd) throw_errno("restore files: open FIFO {}", pipe.fifo_path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("fstat({})", pipe.fifo_path);
  if (!S_ISFIFO(st.st_mode)) fail("restore files: {} is no longer a FIFO", pipe.fifo_path);
  return fd;
}

// A FIFO still open elsewhere (e.g. by the dumped container left running) keeps its own
// buffer: adding the dumped data again would duplicate it.
bool already_holds_data(int read_fd, const PipeObject& pipe) {
  if (pipe.fifo_path.empty()) return false;
  int buffered = 0;
  if (::ioctl(read_fd, FIONREAD, &buffered) != 0) throw_errno("FIONREAD on {}", pipe.fifo_path);
  return buffered > 0;
}

// A FIFO removed while open: made again at its path, opened and removed; its descriptions are
// opened through /proc/self/fd like unnamed pipes.
UniqueFd open_removed_fifo(const records::FileDescription& d) {
  UniqueFd fd = open_removed_node(
      d.path, ".ckpt-removed-" + std::to_string(d.pipe_id), "FIFO",
      [&](const char* at) { return ::mkfifo(at, d.mode & 07777); },
      [](const char* at) { return UniqueFd(::open(at, O_RDWR | O_NONBLOCK | O_CLOEXEC)); });
  if (!fd) throw_errno("restore files: open removed FIFO {}", d.path);
  if (::fchown(fd.get(), d.uid, d.gid) != 0) throw_errno("restore files: chown FIFO {}", d.path);
  return fd;
}

const records::FileDescription* removed_fifo(const records::FilesState& state, uint64_t pipe_id) {
  for (const auto& d : state.descriptions)
    if (d.kind == records::FileKind::kFifo && d.pipe_id == pipe_id && d.deleted) return &d;
  return nullptr;
}

UniqueFd open_fifo_description(const std::string& path, uint32_t flags) {
  UniqueFd fd(::open(path.c_str(), reopen_flags(flags)));
  if (!fd) throw_errno("restore files: open FIFO {}", path);
  return fd;
}

UniqueFd duplicate(int fd) {
  UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!copy) throw_errno("fcntl(F_DUPFD_CLOEXEC) on a pipe");
  return copy;
}

}  // namespace

RestoredPipes::RestoredPipes(const records::FilesState& state, const ReadFileData& read_data) {
  for (const PipeObject& pipe : state.pipes) {
    Ends ends;
    if (const records::FileDescription* removed = removed_fifo(state, pipe.id)) {
      ends.read = open_removed_fifo(*removed);
    } else if (pipe.fifo_path.empty()) {
      int fds[2];
      if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) throw_errno("pipe2");
      ends.read = UniqueFd(fds[0]);
      ends.write = UniqueFd(fds[1]);
    } else {
      ends.read = open_fifo(pipe);
      ends.fifo_path = pipe.fifo_path;
    }
    int write_fd = ends.write ? ends.write.get() : ends.read.get();
    set_capacity(write_fd, pipe);
    if (already_holds_data(ends.read.get(), pipe)) {
      spdlog::warn("restore files: FIFO {} is open elsewhere and holds data; not refilled",
                   pipe.fifo_path);
    } else {
      refill(write_fd, pipe, read_data);
    }
    pipes_.emplace(pipe.id, std::move(ends));
  }
}

UniqueFd RestoredPipes::open_description(const records::FileDescription& d) {
  auto it = pipes_.find(d.pipe_id);
  if (it == pipes_.end())
    fail("restore files: description {} names unknown pipe {}", d.id, d.pipe_id);
  Ends& ends = it->second;
  UniqueFd fd;
  int access = static_cast<int>(d.flags) & O_ACCMODE;
  if (ends.write && access == O_RDONLY && !std::exchange(ends.read_given, true)) {
    fd = duplicate(ends.read.get());
  } else if (ends.write && access == O_WRONLY && !std::exchange(ends.write_given, true)) {
    fd = duplicate(ends.write.get());
  } else {
    // Non-blocking so that opening one end never waits for the other; flags set right after.
    fd = ends.fifo_path.empty() ? reopen(ends.read.get(), d.flags | O_NONBLOCK)
                                : open_fifo_description(ends.fifo_path, d.flags | O_NONBLOCK);
  }
  if (::fcntl(fd.get(), F_SETFL, reopen_flags(d.flags)) != 0) throw_errno("fcntl(F_SETFL) on pipe");
  return fd;
}

}  // namespace ckpt::restore
