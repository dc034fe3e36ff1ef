#include "restore/files_deleted.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "common/fs.h"
#include "restore/fd_kinds.h"

namespace ckpt::restore {

namespace {

// Makes the missing directories above `path` (a file deleted from a directory removed since),
// adding each to `made`, outermost first.
void make_parents(const std::string& path, std::vector<std::string>& made) {
  std::vector<std::string> missing;
  for (auto dir = std::filesystem::path(path).parent_path(); !dir.empty() && dir != "/";
       dir = dir.parent_path()) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) break;
    missing.push_back(dir.string());
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0) throw_errno("restore files: mkdir({})", *it);
    made.push_back(*it);
  }
}

// Creates a new file at `path`, or at a temporary name next to it when `path` is taken.
UniqueFd create_near(const std::string& path, std::string& created,
                     std::vector<std::string>& made_dirs) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd && errno == ENOENT) {
    make_parents(path, made_dirs);
    fd = UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  }
  if (fd) {
    created = path;
    return fd;
  }
  if (errno != EEXIST) throw_errno("restore files: cannot recreate deleted file {}", path);
  std::string name = path + ".ckpt-deleted-XXXXXX";
  fd = UniqueFd(::mkostemp(name.data(), O_CLOEXEC));
  if (!fd) throw_errno("restore files: cannot recreate deleted file {} as {}", path, name);
  created = name;
  return fd;
}

// Writes the stored data ranges at their offsets, leaving the holes between them.
void write_extents(int fd, const records::FileDescription& d, const ReadFileData& read_data) {
  if (d.size == 0) return;
  std::vector<uint64_t> extents = d.extents;
  if (extents.empty()) extents = {0, d.size};  // images before ranges: all of it stored
  size_t extent = 0;
  uint64_t offset = 0, left = 0;
  auto next = [&] {
    for (; left == 0; extent += 2) {
      if (extent + 1 >= extents.size()) fail("restore files: {}: more data than ranges", d.path);
      offset = extents[extent];
      left = extents[extent + 1];
    }
  };
  read_data(d.data_id, [&](std::span<const std::byte> chunk) {
    while (!chunk.empty()) {
      next();
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
      if (::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) throw_errno("lseek({})", d.path);
      fs::write_all(fd, chunk.first(n), d.path.c_str());
      chunk = chunk.subspan(n);
      offset += n;
      left -= n;
    }
  });
}

}  // namespace

DeletedFiles::~DeletedFiles() {
  remove_names();
}

void DeletedFiles::remove_names() {
  for (const auto& [data_id, name] : names_) ::unlink(name.c_str());
  for (auto it = made_dirs_.rbegin(); it != made_dirs_.rend(); ++it) ::rmdir(it->c_str());
  names_.clear();
  made_dirs_.clear();
}

const std::string& DeletedFiles::recreate(const records::FileDescription& d) {
  std::string name;
  UniqueFd fd = create_near(d.path, name, made_dirs_);
  const std::string& kept = names_.emplace(d.data_id, name).first->second;
  fill(fd.get(), d, name);
  return kept;
}

void DeletedFiles::fill(int fd, const records::FileDescription& d, const std::string& name) const {
  write_extents(fd, d, read_data_);
  if (::ftruncate(fd, static_cast<off_t>(d.size)) != 0) throw_errno("ftruncate({})", name);
  if (::fchown(fd, d.uid, d.gid) != 0) throw_errno("fchown({})", name);
  if (::fchmod(fd, d.mode & 07777) != 0) throw_errno("fchmod({})", name);
  timespec times[2] = {{d.atime_sec, d.atime_nsec}, {d.mtime_sec, d.mtime_nsec}};
  if (::futimens(fd, times) != 0) throw_errno("futimens({})", name);
}

UniqueFd DeletedFiles::create_unnamed(const records::FileDescription& d) {
  std::string dir = std::filesystem::path(d.path).parent_path().string();
  UniqueFd fd(::open(dir.c_str(), reopen_flags(d.flags) | O_TMPFILE, 0600));
  if (!fd) throw_errno("restore files: O_TMPFILE in {} for {}", dir, d.path);
  fill(fd.get(), d, d.path);
  std::string proc_path = "/proc/self/fd/" + std::to_string(fd.get());
  for (const std::string& name : {d.path, d.path + ".ckpt-unnamed-" + std::to_string(::getpid())})
    if (::linkat(AT_FDCWD, proc_path.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
      names_.emplace(d.data_id, name);
      return fd;
    }
  unlinkable_.insert(d.data_id);  // O_TMPFILE | O_EXCL: it can have no other description
  return fd;
}

UniqueFd DeletedFiles::open_description(const records::FileDescription& d) {
  if (unlinkable_.count(d.data_id))
    fail("restore files: {}: a second description of a file made with O_TMPFILE | O_EXCL",
         d.path);
  auto it = names_.find(d.data_id);
  if (it == names_.end() && (d.flags & O_TMPFILE) == O_TMPFILE) {
    UniqueFd fd = create_unnamed(d);
    restore_offset(fd.get(), d);
    return fd;
  }
  const std::string& name = it != names_.end() ? it->second : recreate(d);
  // By name, which exists until every description is open: no /proc needed.
  UniqueFd fd(::open(name.c_str(), reopen_flags(d.flags)));
  if (!fd) throw_errno("restore files: open recreated {}", name);
  restore_offset(fd.get(), d);
  return fd;
}

}  // namespace ckpt::restore
