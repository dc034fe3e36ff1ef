// Dump of epoll instances: each watch (fdinfo "tfd:" line) with the description it watches,
// found by kcmp(KCMP_EPOLL_TFD) among the container's fds.
#include <linux/kcmp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <map>

#include "ckpt/event_files.h"
#include "common/error.h"
#include "common/proc/fdinfo.h"
#include "common/proc/fdinfo_events.h"

namespace ckpt::dump {

namespace {

// Whether fd `fd` of `pid` is the file that epoll `epoll` watches under fd number `tfd`, the
// `toff`-th watch with that fd number (in fdinfo order; two files may be watched under one
// number when the first was closed and the number reused).
bool is_watched_file(pid_t pid, int fd, const HeldFd& epoll, int tfd, unsigned toff) {
  kcmp_epoll_slot slot{static_cast<__u32>(epoll.fd), static_cast<__u32>(tfd), toff};
  long r = ::syscall(SYS_kcmp, pid, epoll.host_pid, KCMP_EPOLL_TFD, fd, &slot);
  if (r < 0 && errno != ENOENT && errno != EBADF)
    throw_errno("kcmp(KCMP_EPOLL_TFD) pid {} fd {}", pid, fd);
  return r == 0;
}

const HeldFd* find_fd(const std::vector<HeldFd>& fds, pid_t host_pid, int fd) {
  for (const HeldFd& h : fds) {
    if (h.host_pid == host_pid && h.fd == fd) return &h;
  }
  return nullptr;
}

// Prefers a process that holds the epoll and holds the watched file at the watch's fd number
// (where EPOLL_CTL_ADD can be done again as it was); else any fd of the file (fd closed since).
records::EpollWatch locate_watch(const proc::EpollTarget& t, unsigned toff, uint64_t epoll_id,
                                 const std::vector<HeldFd>& fds) {
  records::EpollWatch w;
  w.fd = t.fd;
  w.events = t.events;
  w.data = t.data;
  for (const HeldFd& holder : fds) {
    if (holder.description != epoll_id) continue;
    const HeldFd* same_number = find_fd(fds, holder.host_pid, t.fd);
    if (same_number && is_watched_file(holder.host_pid, t.fd, holder, t.fd, toff)) {
      w.target = same_number->description;
      w.ns_pid = holder.ns_pid;
      return w;
    }
  }
  const HeldFd* epoll = nullptr;
  for (const HeldFd& h : fds) {
    if (h.description == epoll_id) epoll = epoll ? epoll : &h;
  }
  for (const HeldFd& candidate : fds) {
    if (is_watched_file(candidate.host_pid, candidate.fd, *epoll, t.fd, toff)) {
      w.target = candidate.description;
      return w;
    }
  }
  fail("epoll watches fd {} (inode {:x}), a file no process of the container holds", t.fd, t.ino);
}

}  // namespace

records::EpollInstance collect_epoll(uint64_t id, const HeldFd& at,
                                     const std::vector<HeldFd>& fds) {
  records::EpollInstance epoll;
  epoll.id = id;
  std::map<int, unsigned> seen;  // fd number -> watches with it so far
  for (const proc::EpollTarget& t :
       proc::parse_epoll_targets(proc::read_fdinfo_text(at.host_pid, at.fd)))
    epoll.watches.push_back(locate_watch(t, seen[t.fd]++, id, fds));
  return epoll;
}

}  // namespace ckpt::dump
