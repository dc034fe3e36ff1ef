#include "ckpt/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt/event_files.h"
#include "ckpt/files_collect.h"
#include "ckpt/sockets.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace ckpt::dump {

namespace {

using image::SectionType;

std::pair<uint64_t, uint64_t> inode_of(FdRef ref) {
  std::string path = "/proc/" + std::to_string(ref.pid) + "/fd/" + std::to_string(ref.fd);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_errno("stat {}", path);
  return {st.st_dev, st.st_ino};
}

// Streams the contents of a deleted file from the dumped process's fd into kFileData.
void write_deleted_file(image::ImageWriter& image, uint64_t data_id, FdRef ref) {
  std::string path = "/proc/" + std::to_string(ref.pid) + "/fd/" + std::to_string(ref.fd);
  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) throw_errno("open deleted file of pid {} fd {}", ref.pid, ref.fd);
  auto stream = image.open_stream(SectionType::kFileData, data_id);
  std::string buffer(1 << 20, '\0');
  off_t offset = 0;
  for (;;) {
    ssize_t n = ::pread(file.get(), buffer.data(), buffer.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read deleted file of pid {} fd {}", ref.pid, ref.fd);
    if (n == 0) break;
    stream->write(buffer.data(), static_cast<size_t>(n));
    offset += n;
  }
  stream->close();
}

}  // namespace

records::FilesState dump_files(const FilesContext& context, image::ImageWriter& image) {
  CollectedFiles collected = collect_files(context);
  if (!context.pids.empty()) dump_sockets(collected.state, context.pids.front(), image);
  image.put(SectionType::kFiles, 0, collected.state);
  write_event_files(collected.state, image);
  for (const auto& [data_id, data] : collected.pipe_data) {
    image.put_bytes(SectionType::kFileData, data_id, data);
  }
  for (const auto& [data_id, ref] : collected.deleted_files)
    if (!context.stored_with_shared_memory.count(inode_of(ref)))
      write_deleted_file(image, data_id, ref);
  spdlog::debug("files: {} descriptions, {} pipes, {} deleted files",
                collected.state.descriptions.size(), collected.state.pipes.size(),
                collected.deleted_files.size());
  return std::move(collected.state);
}

}  // namespace ckpt::dump
