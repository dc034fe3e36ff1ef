#include "ckpt/watched_inode.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "common/proc/mountinfo.h"
#include "common/unique_fd.h"

namespace ckpt::dump {

namespace {

std::string proc_dir(pid_t pid) {
  return "/proc/" + std::to_string(pid);
}

}  // namespace

UniqueFd open_watched_inode(pid_t pid, const proc::WatchedInode& inode, const std::string& what) {
  std::string mount = proc_dir(pid) + "/root" + mount_point_of(pid, inode.sdev, what);
  UniqueFd mount_fd(::open(mount.c_str(), O_RDONLY | O_CLOEXEC));  // not O_PATH: EBADF
  if (!mount_fd) throw_errno("open({})", mount);
  std::string buffer(sizeof(file_handle) + inode.handle.size(), '\0');
  auto* handle = reinterpret_cast<file_handle*>(buffer.data());
  handle->handle_bytes = static_cast<unsigned>(inode.handle.size());
  handle->handle_type = inode.handle_type;
  std::memcpy(handle->f_handle, inode.handle.data(), inode.handle.size());
  UniqueFd fd(::open_by_handle_at(mount_fd.get(), handle, O_PATH | O_CLOEXEC));
  if (!fd) throw_errno("{}: open_by_handle_at (inode {})", what, inode.ino);
  return fd;
}

namespace {

// The path of `fd` (the inode opened by its handle) as the process sees it.
std::string path_of(pid_t pid, const proc::WatchedInode& inode, int fd, const std::string& what) {
  std::string link = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd));
  std::string root = std::filesystem::read_symlink(proc_dir(pid) + "/root");
  std::string path = proc::path_in_root(link, root);
  // The handle may give a dentry without a path; check the path names the watched inode.
  struct stat st {};
  std::string seen = proc_dir(pid) + "/root" + path;
  if (::lstat(seen.c_str(), &st) != 0 || st.st_ino != inode.ino)
    fail("{}: no path to the watched inode {} (found '{}')", what, inode.ino, path);
  return path;
}

}  // namespace

dev_t dev_of_sdev(uint64_t sdev) {
  return makedev(static_cast<unsigned>(sdev >> 20), static_cast<unsigned>(sdev & 0xfffff));
}

std::string mount_point_of(pid_t pid, uint64_t sdev, const std::string& what) {
  auto major = ::major(dev_of_sdev(sdev)), minor = ::minor(dev_of_sdev(sdev));
  for (const proc::MountInfo& m : proc::read_mountinfo(pid)) {
    if (m.major == major && m.minor == minor) return m.mount_point;
  }
  fail("{}: no mount of device {}:{} in {}/mountinfo", what, major, minor, proc_dir(pid));
}

WatchedInodeFacts watched_inode(pid_t pid, const proc::WatchedInode& inode,
                                const std::string& what) {
  if (inode.handle.empty()) fail("{}: fdinfo shows no file handle", what);
  UniqueFd fd = open_watched_inode(pid, inode, what);
  struct stat own {};
  if (::fstat(fd.get(), &own) != 0) throw_errno("{}: fstat", what);
  if (own.st_nlink == 0) return {};
  return {path_of(pid, inode, fd.get(), what)};
}

}  // namespace ckpt::dump
