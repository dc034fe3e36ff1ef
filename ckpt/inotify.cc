// Dump of inotify instances: each watch (fdinfo "inotify wd:" line) with the path of the watched
// inode (ckpt/watched_inode.h), or for a removed inode the description of an fd on it.
#include <sys/stat.h>

#include <algorithm>

#include "ckpt/event_files.h"
#include "ckpt/watched_inode.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/proc/fdinfo.h"
#include "common/proc/fdinfo_events.h"

namespace ckpt::dump {

namespace {

std::string proc_dir(pid_t pid) {
  return "/proc/" + std::to_string(pid);
}

// An open file of the container on the inode `mark` watches (its device and inode number).
uint64_t holder_of(const proc::InotifyMark& mark, const std::vector<HeldFd>& fds) {
  dev_t dev = dev_of_sdev(mark.sdev);
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
  WatchedInodeFacts inode = watched_inode(pid, mark, fmt::format("inotify wd {}", mark.wd));
  if (inode.path.empty()) return {mark.wd, mark.mask, {}, holder_of(mark, fds)};
  return {mark.wd, mark.mask, inode.path};
}
}  // namespace

records::InotifyInstance collect_inotify(uint64_t id, const HeldFd& at,
                                         const std::vector<HeldFd>& fds,
                                         const proc::FdinfoTexts& fdinfo_before) {
  std::string fdinfo = proc::read_fdinfo_text(at.host_pid, at.fd, fdinfo_before);
  records::InotifyInstance inotify;
  inotify.id = id;
  for (const proc::InotifyMark& mark : proc::parse_inotify_marks(fdinfo))
    inotify.watches.push_back(watch_of(at.host_pid, mark, fds));
  std::sort(inotify.watches.begin(), inotify.watches.end(),
            [](const auto& a, const auto& b) { return a.wd < b.wd; });
  return inotify;
}

}  // namespace ckpt::dump
