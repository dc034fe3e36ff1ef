// Restore of inotify instances: the watches added again by path with their wd numbers (one on a
// removed inode on the restored file of a description on it). Watch
// descriptors are handed out in increasing order, so a watch that would get a lower wd is
// removed and added again until it gets its own; the IN_IGNORED events this queues are drained.
#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/error.h"
#include "restore/event_files.h"

namespace ckpt::restore {

namespace {

// Where a watch is added: its path, or for a removed inode the restored file of the description
// on it (through /proc/self/fd: the watch is on that file's inode, as it was).
std::string watch_path(const records::InotifyWatch& w, const std::map<uint64_t, UniqueFd>& opened) {
  if (!w.removed()) return w.path;
  auto it = opened.find(w.target);
  if (it == opened.end())
    fail("inotify wd {}: the file of description {} it watches is not open", w.wd, w.target);
  return "/proc/self/fd/" + std::to_string(it->second.get());
}

void add_with_wd(int fd, const records::InotifyWatch& w,
                 const std::map<uint64_t, UniqueFd>& opened) {
  std::string path = watch_path(w, opened);
  for (;;) {
    // The path names the watched inode itself (a symlink too); /proc/self/fd/N must be followed.
    uint32_t follow = w.removed() ? 0 : IN_DONT_FOLLOW;
    int wd = ::inotify_add_watch(fd, path.c_str(), w.mask | follow);
    if (wd < 0) throw_errno("inotify_add_watch({}, {:x})", path, w.mask);
    if (wd == w.wd) return;
    if (wd > w.wd)
      fail("inotify watch of {}: got wd {}, wanted {} (a watch on the same file?)", path, wd,
           w.wd);
    if (::inotify_rm_watch(fd, wd) != 0) throw_errno("inotify_rm_watch({})", wd);
  }
}

void drain(int fd) {
  char buffer[4096];
  while (::read(fd, buffer, sizeof buffer) > 0) {
  }
}

}  // namespace

UniqueFd open_inotify(const records::InotifyInstance& inotify, uint32_t flags,
                      const std::map<uint64_t, UniqueFd>& opened) {
  UniqueFd fd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!fd) throw_errno("inotify_init1");
  for (const records::InotifyWatch& w : inotify.watches) add_with_wd(fd.get(), w, opened);
  drain(fd.get());
  if (!(flags & O_NONBLOCK) && ::fcntl(fd.get(), F_SETFL, 0) != 0)
    throw_errno("fcntl(inotify, blocking)");
  return fd;
}

}  // namespace ckpt::restore
