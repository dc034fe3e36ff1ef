// Restore of inotify instances: the watches added again by path with their wd numbers. Watch
// descriptors are handed out in increasing order, so a watch that would get a lower wd is
// removed and added again until it gets its own; the IN_IGNORED events this queues are drained.
#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/error.h"
#include "restore/event_files.h"

namespace ckpt::restore {

namespace {

void add_with_wd(int fd, const records::InotifyWatch& w) {
  for (;;) {
    int wd = ::inotify_add_watch(fd, w.path.c_str(), w.mask);
    if (wd < 0) throw_errno("inotify_add_watch({}, {:x})", w.path, w.mask);
    if (wd == w.wd) return;
    if (wd > w.wd)
      fail("inotify watch of {}: got wd {}, wanted {} (a watch on the same file?)", w.path, wd,
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

UniqueFd open_inotify(const records::InotifyInstance& inotify, uint32_t flags) {
  UniqueFd fd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!fd) throw_errno("inotify_init1");
  for (const records::InotifyWatch& w : inotify.watches) add_with_wd(fd.get(), w);
  drain(fd.get());
  if (!(flags & O_NONBLOCK) && ::fcntl(fd.get(), F_SETFL, 0) != 0)
    throw_errno("fcntl(inotify, blocking)");
  return fd;
}

}  // namespace ckpt::restore
