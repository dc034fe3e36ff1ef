#include "restore/files_removed_dirs.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>

#include "common/error.h"
#include "restore/fd_kinds.h"

namespace ckpt::restore {

namespace {

constexpr std::string_view kDeleted = " (deleted)";

}  // namespace

bool is_removed_cwd(const std::string& cwd) {
  return cwd.size() > kDeleted.size() && cwd.ends_with(kDeleted);
}

bool enter_removed_cwd(const std::string& cwd) {
  try {
    UniqueFd dir = open_removed_node(
        cwd.substr(0, cwd.size() - kDeleted.size()),
        ".ckpt-removed-cwd-" + std::to_string(::getpid()), "working directory",
        [](const char* at) { return ::mkdir(at, 0700); },
        [](const char* at) { return UniqueFd(::open(at, O_RDONLY | O_DIRECTORY | O_CLOEXEC)); });
    return dir && ::fchdir(dir.get()) == 0;
  } catch (const Error& e) {
    errno = e.err() ? e.err() : EINVAL;
    return false;
  }
}

UniqueFd open_removed_node(const std::string& path, const std::string& suffix, const char* what,
                           const std::function<int(const char*)>& make,
                           const std::function<UniqueFd(const char*)>& open) {
  // Processes restoring removed nodes of one directory at once take turns: one's exchange would
  // otherwise move another's node away between its make and its open.
  std::string directory = path.substr(0, path.rfind('/'));
  UniqueFd turn(::open(directory.empty() ? "/" : directory.c_str(),
                       O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!turn || ::flock(turn.get(), LOCK_EX) != 0)
    throw_errno("restore files: lock the directory of removed {} {}", what, path);
  std::string aside;
  if (make(path.c_str()) != 0) {
    if (errno != EEXIST) throw_errno("restore files: make removed {} {}", what, path);
    aside = path + suffix;
    if (make(aside.c_str()) != 0) throw_errno("restore files: make removed {} {}", what, aside);
    if (::renameat2(AT_FDCWD, aside.c_str(), AT_FDCWD, path.c_str(), RENAME_EXCHANGE) != 0) {
      int saved = errno;
      ::unlink(aside.c_str());
      errno = saved;
      throw_errno("restore files: exchange removed {} {} with what holds its name", what, path);
    }
  }
  UniqueFd fd = open(path.c_str());
  int saved = errno;
  ::remove(path.c_str());  // unlink, or rmdir for a directory
  if (!aside.empty() && ::rename(aside.c_str(), path.c_str()) != 0)
    throw_errno("restore files: put {} back after its removed {}", path, what);
  errno = saved;
  return fd;
}

UniqueFd open_removed_directory(const records::FileDescription& d) {
  mode_t mode = d.mode & 07777;
  UniqueFd fd = open_removed_node(
      d.path, ".ckpt-removed-" + std::to_string(d.id), "directory",
      [&](const char* at) { return ::mkdir(at, mode) == 0 ? ::chmod(at, mode) : -1; },
      [&](const char* at) { return UniqueFd(::open(at, reopen_flags(d.flags))); });
  if (!fd) throw_errno("restore files: open removed directory {}", d.path);
  if (::fchown(fd.get(), d.uid, d.gid) != 0 && !(d.flags & O_PATH))
    throw_errno("restore files: chown removed directory {}", d.path);
  restore_offset(fd.get(), d);
  return fd;
}

}  // namespace ckpt::restore
