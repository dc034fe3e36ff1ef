#include "ckpt/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <set>

#include "ckpt/event_files.h"
#include "ckpt/files_collect.h"
#include "ckpt/files_leased.h"
#include "ckpt/sockets.h"
#include "common/borrowed_description.h"
#include "common/error.h"
#include "common/fs.h"
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

// A deleted file to read: opened again, or, when a write lease is held on it (which an open
// would break), through its holder's open file description.
class DeletedFile {
 public:
  explicit DeletedFile(FdRef ref) {
    std::string path = "/proc/" + std::to_string(ref.pid) + "/fd/" + std::to_string(ref.fd);
    auto [dev, ino] = inode_of(ref);
    file_ = LeasedFiles::read().holder_fd(static_cast<dev_t>(dev), static_cast<ino_t>(ino));
    if (file_) {
      borrowed_.emplace(file_.get(), path);
      return;
    }
    // O_NOATIME: the dump must not change the file's access time.
    file_.reset(::open(path.c_str(), O_RDONLY | O_NOATIME | O_CLOEXEC));
    if (!file_) throw_errno("open deleted file of pid {} fd {}", ref.pid, ref.fd);
  }
  int get() const { return file_.get(); }

 private:
  UniqueFd file_;
  std::optional<BorrowedDescription> borrowed_;  // declared after file_: goes first
};

const records::FileDescription& description_of_data(const records::FilesState& state,
                                                     uint64_t data_id) {
  for (const auto& d : state.descriptions)
    if (d.deleted && d.data_id == data_id) return d;
  fail("files: no description of deleted file {}", data_id);
}

// The data ranges of each deleted file (holes are not stored), in every description of it.
void note_deleted_extents(CollectedFiles& collected) {
  for (const auto& [data_id, ref] : collected.deleted_files) {
    uint64_t size = description_of_data(collected.state, data_id).size;
    std::vector<uint64_t> extents = fs::data_extents(DeletedFile(ref).get(), size);
    for (auto& d : collected.state.descriptions)
      if (d.deleted && d.data_id == data_id) d.extents = extents;
  }
}

// Streams the data ranges of a deleted file from the dumped process's fd into kFileData.
void write_deleted_file(image::ImageWriter& image, const records::FileDescription& d, FdRef ref) {
  DeletedFile file(ref);
  auto stream = image.open_stream(SectionType::kFileData, d.data_id);
  std::string buffer(1 << 20, '\0');
  for (size_t i = 0; i + 1 < d.extents.size(); i += 2) {
    off_t offset = static_cast<off_t>(d.extents[i]);
    uint64_t left = d.extents[i + 1];
    while (left > 0) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(left, buffer.size()));
      ssize_t n = ::pread(file.get(), buffer.data(), want, offset);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno("read deleted file of pid {} fd {}", ref.pid, ref.fd);
      if (n == 0) fail("pid {} fd {}: deleted file shrank while dumped", ref.pid, ref.fd);
      stream->write(buffer.data(), static_cast<size_t>(n));
      offset += n;
      left -= static_cast<uint64_t>(n);
    }
  }
  stream->close();
}

// Locks and SIGIO owners (section kFileLocks), after checking that no lock of a container process
// escaped its fds.
void write_file_locks(CollectedFiles& collected, const std::optional<std::string>& proc_locks,
                      image::ImageWriter& image) {
  std::map<pid_t, pid_t> host_to_ns;
  std::set<pid_t> host_pids;
  for (const auto& process : collected.state.processes) {
    host_to_ns[process.host_pid] = process.ns_pid;
    host_pids.insert(process.host_pid);
  }
  check_every_lock_seen(proc_locks ? *proc_locks : fs::read_file("/proc/locks"), host_pids,
                        collected.locks.seen());
  records::FileLocksState locks = collected.locks.finish(host_to_ns);
  if (!locks.locks.empty() || !locks.owners.empty()) image.put(SectionType::kFileLocks, 0, locks);
}

}  // namespace

records::FilesState dump_files(const FilesContext& context, image::ImageWriter& image) {
  CollectedFiles collected = collect_files(context);
  note_deleted_extents(collected);
  if (!context.pids.empty()) dump_sockets(collected.state, context.pids.front(), image);
  image.put(SectionType::kFiles, 0, collected.state);
  write_file_locks(collected, context.proc_locks, image);
  write_event_files(collected.state, context.fdinfo_before, image);
  for (const auto& [data_id, data] : collected.pipe_data) {
    image.put_bytes(SectionType::kFileData, data_id, data);
  }
  for (const auto& [data_id, ref] : collected.deleted_files)
    if (!context.stored_with_shared_memory.count(inode_of(ref)))
      write_deleted_file(image, description_of_data(collected.state, data_id), ref);
  spdlog::debug("files: {} descriptions, {} pipes, {} deleted files",
                collected.state.descriptions.size(), collected.state.pipes.size(),
                collected.deleted_files.size());
  return std::move(collected.state);
}

}  // namespace ckpt::dump
