// Dump of inotify instances: each watch (fdinfo "inotify wd:" line) with the path of the watched
// inode, found from its file handle (open_by_handle_at on a mount of the same filesystem).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "ckpt/event_files.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/proc/fdinfo.h"
#include "common/proc/fdinfo_events.h"
#include "common/proc/mountinfo.h"
#include "common/unique_fd.h"

namespace ckpt::dump {

namespace {

std::string proc_dir(pid_t pid) {
  return "/proc/" + std::to_string(pid);
}

// A mount point (as the process sees it) of the filesystem with kernel dev_t `sdev`.
std::string mount_point_of(pid_t pid, uint64_t sdev) {
  auto major = static_cast<unsigned>(sdev >> 20), minor = static_cast<unsigned>(sdev & 0xfffff);
  for (const proc::MountInfo& m : proc::read_mountinfo(pid)) {
    if (m.major == major && m.minor == minor) return m.mount_point;
  }
  fail("no mount of device {}:{} in {}/mountinfo", major, minor, proc_dir(pid));
}

UniqueFd open_by_handle(pid_t pid, const proc::InotifyMark& mark) {
  std::string mount = proc_dir(pid) + "/root" + mount_point_of(pid, mark.sdev);
  UniqueFd mount_fd(::open(mount.c_str(), O_RDONLY | O_CLOEXEC));  // not O_PATH: EBADF
  if (!mount_fd) throw_errno("open({})", mount);
  std::string buffer(sizeof(file_handle) + mark.handle.size(), '\0');
  auto* handle = reinterpret_cast<file_handle*>(buffer.data());
  handle->handle_bytes = static_cast<unsigned>(mark.handle.size());
  handle->handle_type = mark.handle_type;
  std::memcpy(handle->f_handle, mark.handle.data(), mark.handle.size());
  UniqueFd fd(::open_by_handle_at(mount_fd.get(), handle, O_PATH | O_CLOEXEC));
  if (!fd) throw_errno("inotify wd {}: open_by_handle_at (inode {})", mark.wd, mark.ino);
  return fd;
}

// The watched inode's path as the process sees it (`fd`: the inode opened by its handle).
std::string watched_path(pid_t pid, const proc::InotifyMark& mark, int fd) {
  std::string link = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd));
  std::string root = std::filesystem::read_symlink(proc_dir(pid) + "/root");
  std::string path = proc::path_in_root(link, root);
  // The handle may give a dentry without a path; check the path names the watched inode.
  struct stat st {};
  std::string seen = proc_dir(pid) + "/root" + path;
  if (::stat(seen.c_str(), &st) != 0 || st.st_ino != mark.ino)
    fail("inotify wd {}: no path to the watched inode {} (found '{}')", mark.wd, mark.ino, path);
  return path;
}

// An open file of the container on the inode `mark` watches (its device and inode number).
uint64_t holder_of(const proc::InotifyMark& mark, const std::vector<HeldFd>& fds) {
  dev_t dev = makedev(static_cast<unsigned>(mark.sdev >> 20),
                      static_cast<unsigned>(mark.sdev & 0xfffff));
  for (const HeldFd& held : fds) {
    struct stat st {};
    std::string path = proc_dir(held.host_pid) + "/fd/" + std::to_string(held.fd);
    if (::stat(path.c_str(), &st) == 0 && st.st_dev == dev && st.st_ino == mark.ino)
      return held.description;
  }
  fail(ErrorKind::kRefused,
       "inotify wd {}: watches removed inode {} that no open file of the container holds (a "
       "removed working directory or a mapping only)",
       mark.wd, mark.ino);
}

records::InotifyWatch watch_of(pid_t pid, const proc::InotifyMark& mark,
                               const std::vector<HeldFd>& fds) {
  if (mark.handle.empty()) fail("inotify wd {}: fdinfo shows no file handle", mark.wd);
  UniqueFd fd = open_by_handle(pid, mark);
  struct stat own {};
  if (::fstat(fd.get(), &own) != 0) throw_errno("inotify wd {}: fstat", mark.wd);
  if (own.st_nlink == 0) return {mark.wd, mark.mask, {}, holder_of(mark, fds)};
  return {mark.wd, mark.mask, watched_path(pid, mark, fd.get())};
}
}  // namespace

records::InotifyInstance collect_inotify(uint64_t id, const HeldFd& at,
                                         const std::vector<HeldFd>& fds) {
  std::string fdinfo = proc::read_fdinfo_text(at.host_pid, at.fd);
  records::InotifyInstance inotify;
  inotify.id = id;
  for (const proc::InotifyMark& mark : proc::parse_inotify_marks(fdinfo))
    inotify.watches.push_back(watch_of(at.host_pid, mark, fds));
  std::sort(inotify.watches.begin(), inotify.watches.end(),
            [](const auto& a, const auto& b) { return a.wd < b.wd; });
  return inotify;
}

}  // namespace ckpt::dump
