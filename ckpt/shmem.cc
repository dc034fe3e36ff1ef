#include "ckpt/shmem.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <string_view>

#include "ckpt/shmem_contents.h"
#include "common/aio_ring.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/log.h"
#include "common/proc/mountinfo.h"
#include "common/records/shmem.h"
#include "common/unique_fd.h"

namespace ckpt::dump {

namespace {

using records::SharedObject;
using records::SharedObjectKind;

constexpr std::string_view kDeletedSuffix = " (deleted)";
constexpr std::string_view kMemfdPrefix = "/memfd:";
constexpr std::string_view kSysvPrefix = "/SYSV";
constexpr std::string_view kSharedZero = "/dev/zero (deleted)";  // MAP_SHARED | MAP_ANONYMOUS

SharedObjectKind kind_of(std::string_view name) {
  if (name.starts_with(kSysvPrefix)) return SharedObjectKind::kSysvShm;
  if (name.starts_with(kMemfdPrefix)) return SharedObjectKind::kMemfd;
  if (name == kSharedZero) return SharedObjectKind::kAnonymous;
  return SharedObjectKind::kDeletedFile;
}

// "/memfd:NAME (deleted)" -> "NAME"; "/ROOT/PATH (deleted)" -> "/PATH" for a process whose root
// is /ROOT.
std::string object_name(SharedObjectKind kind, std::string link, const std::string& root) {
  if (link.ends_with(kDeletedSuffix)) link.resize(link.size() - kDeletedSuffix.size());
  if (kind == SharedObjectKind::kMemfd) return link.substr(kMemfdPrefix.size());
  return proc::path_in_root(link, root);
}

struct stat stat_fd(pid_t pid, int fd) {
  std::string path = fmt::format("/proc/{}/fd/{}", pid, fd);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_errno("stat {}", path);
  return st;
}

std::string read_link(const std::string& path) {
  std::error_code ec;
  auto target = std::filesystem::read_symlink(path, ec);
  if (ec) fail("readlink({}): {}", path, ec.message());
  return target.string();
}

}  // namespace

// Every object once, by inode (SysV segments by id), with a /proc path to open it by.
class ObjectTable {
 public:
  uint64_t add_mapping(pid_t pid, const proc::MapEntry& map, const std::string& root) {
    SharedObjectKind kind = kind_of(map.name);
    std::string source = fmt::format("/proc/{}/map_files/{:x}-{:x}", pid, map.start, map.end);
    if (kind == SharedObjectKind::kSysvShm) return add_segment(map, source);
    return add_file(kind, object_name(kind, map.name, root), source);
  }

  uint64_t add_memfd_fd(pid_t pid, int fd) {
    std::string source = fmt::format("/proc/{}/fd/{}", pid, fd);
    return add_file(SharedObjectKind::kMemfd,
                    object_name(SharedObjectKind::kMemfd, read_link(source), "/"), source);
  }

  // The object of a file (deleted, a memfd) with this inode, or 0.
  uint64_t find_file(const struct stat& st) const {
    auto it = by_inode_.find({st.st_dev, st.st_ino});
    return it == by_inode_.end() ? 0 : it->second;
  }

  std::set<std::pair<uint64_t, uint64_t>> deleted_file_inodes() const {
    std::set<std::pair<uint64_t, uint64_t>> inodes;
    for (const auto& [inode, id] : by_inode_)
      if (state_.objects[id - 1].kind == SharedObjectKind::kDeletedFile) inodes.insert(inode);
    return inodes;
  }

  records::SharedMemState& state() { return state_; }
  const std::string& source_of(const SharedObject& object) const { return sources_[object.id - 1]; }

 private:
  // A segment may be attached in part (partly unmapped, or split by mprotect): restore attaches
  // it whole and keeps the dumped part (restore/shmem_map.cc).
  uint64_t add_segment(const proc::MapEntry& map, const std::string& source) {
    auto shm_id = static_cast<int32_t>(map.inode);
    auto [it, added] = by_shm_id_.try_emplace(shm_id, state_.objects.size() + 1);
    if (added) {
      struct stat st {};
      if (::stat(source.c_str(), &st) != 0) throw_errno("stat {} (SysV shm id {})", source, shm_id);
      SharedObject& object = add_object(SharedObjectKind::kSysvShm, "");
      object.shm_id = shm_id;
      object.size = static_cast<uint64_t>(st.st_size);
    }
    return it->second;
  }

  uint64_t add_file(SharedObjectKind kind, const std::string& name, const std::string& source) {
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0) throw_errno("stat {} ({})", source, name);
    auto [it, added] = by_inode_.try_emplace({st.st_dev, st.st_ino}, state_.objects.size() + 1);
    if (!added) return it->second;
    SharedObject& object = add_object(kind, source);
    object.name = name;
    object.size = static_cast<uint64_t>(st.st_size);
    object.mode = st.st_mode;
    object.uid = st.st_uid;
    object.gid = st.st_gid;
    return object.id;
  }

  SharedObject& add_object(SharedObjectKind kind, const std::string& source) {
    SharedObject& object = state_.objects.emplace_back();
    object.id = state_.objects.size();
    object.kind = kind;
    sources_.push_back(source);
    return object;
  }

  records::SharedMemState state_;
  std::vector<std::string> sources_;  // by id - 1
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> by_inode_;
  std::map<int32_t, uint64_t> by_shm_id_;
};

namespace {

void add_mappings(const records::ProcessEntry& process, ObjectTable& table) {
  std::string root = read_link(fmt::format("/proc/{}/root", process.host_pid));
  for (const auto& map : proc::read_maps(process.host_pid)) {
    if (!is_shared_object_mapping(map)) continue;
    uint64_t object = table.add_mapping(process.host_pid, map, root);
    table.state().mappings.push_back({process.pid, map.start, object});
  }
}

// Every kMemfd description becomes an object (if no process maps it); a description of a
// deleted file is opened on the object of that file when a process maps it too.
void add_object_descriptions(const records::FilesState& files, ObjectTable& table) {
  std::set<uint64_t> memfds, deleted;
  for (const auto& d : files.descriptions) {
    if (d.kind == records::FileKind::kMemfd) memfds.insert(d.id);
    if (d.kind == records::FileKind::kRegular && d.deleted) deleted.insert(d.id);
  }
  for (const auto& process : files.processes) {
    for (const auto& entry : process.fds) {
      uint64_t object = 0;
      if (memfds.erase(entry.description))
        object = table.add_memfd_fd(process.host_pid, entry.fd);
      else if (deleted.erase(entry.description))
        object = table.find_file(stat_fd(process.host_pid, entry.fd));
      if (object) table.state().descriptions.push_back({entry.description, object});
    }
  }
}

// Seals, and the pages (or a deleted file's bytes) into kSharedMem.
void write_object(SharedObject& object, const std::string& source, image::ImageWriter& image) {
  UniqueFd fd(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open {} (shared memory {})", source, object.name);
  struct statfs fs {};
  if (::fstatfs(fd.get(), &fs) == 0 && fs.f_type == HUGETLBFS_MAGIC)
    fail(ErrorKind::kRefused, "{} ({}): hugetlb memory is not supported yet", source, object.name);
  if (object.kind == SharedObjectKind::kMemfd) {
    int seals = ::fcntl(fd.get(), F_GET_SEALS);
    if (seals < 0) throw_errno("F_GET_SEALS of memfd {}", object.name);
    object.seals = static_cast<uint32_t>(seals);
  }
  auto stream = image.open_stream(image::SectionType::kSharedMem, object.id);
  if (object.kind == SharedObjectKind::kDeletedFile)
    write_whole_file(fd.get(), object.size, *stream);
  else
    object.stored = write_present_pages(fd.get(), object.size, *stream);
  stream->close();
}

}  // namespace

bool is_shared_object_mapping(const proc::MapEntry& map) {
  if (map.name.empty() || map.name[0] != '/') return false;  // SysV shm id 0 has inode 0
  if (map.name == kAioRingName) return false;  // an AIO ring: ckpt/aio.h
  return map.name.ends_with(kDeletedSuffix) || map.name.starts_with(kMemfdPrefix) ||
         map.name.starts_with(kSysvPrefix);
}

SharedMemory::SharedMemory(const records::ProcessTree& tree)
    : table_(std::make_unique<ObjectTable>()) {
  for (const auto& process : tree.processes)
    if (!process.zombie) add_mappings(process, *table_);  // a zombie maps nothing
}

SharedMemory::~SharedMemory() = default;

std::set<std::pair<uint64_t, uint64_t>> SharedMemory::deleted_file_inodes() const {
  return table_->deleted_file_inodes();
}

void SharedMemory::write(const records::FilesState& files, image::ImageWriter& image) {
  add_object_descriptions(files, *table_);
  records::SharedMemState& state = table_->state();
  for (auto& object : state.objects)
    if (object.kind != SharedObjectKind::kSysvShm)
      write_object(object, table_->source_of(object), image);
  image.put(image::SectionType::kSharedMemObjects, 0, state);
  spdlog::debug("shared memory: {} objects, {} mappings, {} descriptions on objects",
                state.objects.size(), state.mappings.size(), state.descriptions.size());
}

}  // namespace ckpt::dump
