// Restore of epoll instances: created empty in the root task; each watch added in the process
// that used its fd number, once that process's fds are installed.
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/error.h"
#include "restore/event_files.h"

namespace ckpt::restore {

namespace {

const records::FdEntry* fd_of_description(const records::ProcessFiles& process, uint64_t id) {
  for (const auto& entry : process.fds) {
    if (entry.description == id) return &entry;
  }
  return nullptr;
}

const records::FdEntry* entry_of_fd(const records::ProcessFiles& process, int fd) {
  for (const auto& entry : process.fds) {
    if (entry.fd == fd) return &entry;
  }
  return nullptr;
}

void add_watch(int epoll_fd, const records::EpollWatch& w, pid_t ns_pid) {
  epoll_event event{};
  event.events = w.events;
  event.data.u64 = w.data;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, w.fd, &event) != 0)
    throw_errno("pid {}: epoll_ctl(ADD fd {}, events {:x})", ns_pid, w.fd, w.events);
}

// The watched fd was closed after the watch was added (the file lives on at another fd): the
// file is put at that fd number for the time of EPOLL_CTL_ADD. If the process uses that number
// for another file now, that file is moved aside meanwhile and put back.
void add_watch_of_closed_fd(int epoll_fd, const records::EpollWatch& w,
                            const records::ProcessFiles& process,
                            const std::map<uint64_t, UniqueFd>& high) {
  auto target = high.find(w.target);
  if (target == high.end())
    fail("pid {}: epoll watch of fd {}: description {} not opened", process.ns_pid, w.fd, w.target);
  const records::FdEntry* occupant = entry_of_fd(process, w.fd);
  UniqueFd aside;
  if (occupant) {
    aside = UniqueFd(::fcntl(w.fd, F_DUPFD_CLOEXEC, 0));
    if (!aside) throw_errno("pid {}: move fd {} aside for an epoll watch", process.ns_pid, w.fd);
  }
  if (::dup3(target->second.get(), w.fd, O_CLOEXEC) < 0)
    throw_errno("pid {}: dup3 to fd {} for an epoll watch", process.ns_pid, w.fd);
  add_watch(epoll_fd, w, process.ns_pid);
  if (!occupant) return;  // install_fds closes it with the other fds it does not keep
  if (::dup3(aside.get(), w.fd, occupant->cloexec ? O_CLOEXEC : 0) < 0)
    throw_errno("pid {}: put fd {} back after an epoll watch", process.ns_pid, w.fd);
}

}  // namespace

UniqueFd open_epoll(const records::FileDescription& d) {
  UniqueFd fd(::epoll_create1(EPOLL_CLOEXEC));
  if (!fd) throw_errno("epoll_create1");
  if ((d.flags & O_NONBLOCK) && ::fcntl(fd.get(), F_SETFL, O_NONBLOCK) != 0)
    throw_errno("fcntl(epoll, O_NONBLOCK)");
  return fd;
}

void EventFiles::add_epoll_watches(const records::ProcessFiles& process,
                                   const std::map<uint64_t, UniqueFd>& high) const {
  for (const records::EpollInstance& epoll : state_.epolls) {
    const records::FdEntry* epoll_fd = fd_of_description(process, epoll.id);
    if (!epoll_fd) continue;
    auto first = first_holder_.find(epoll.id);
    bool first_holder = first != first_holder_.end() && first->second == process.ns_pid;
    for (const records::EpollWatch& w : epoll.watches) {
      if (w.ns_pid == process.ns_pid) add_watch(epoll_fd->fd, w, process.ns_pid);
      if (w.ns_pid == 0 && first_holder) add_watch_of_closed_fd(epoll_fd->fd, w, process, high);
    }
  }
}

}  // namespace ckpt::restore
