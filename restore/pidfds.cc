#include "restore/pidfds.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

namespace {

using records::FileDescription;

constexpr uint32_t kPidfdThread = O_EXCL;  // PIDFD_THREAD

UniqueFd pidfd_open(pid_t pid, unsigned flags) {
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, flags)));
  if (!fd) throw_errno("restore files: pidfd_open(pid {})", pid);
  return fd;
}

UniqueFd open_pidfd(const FileDescription& d) {
  if (d.target_pid <= 0) fail("restore files: pidfd {} of no pid ({})", d.id, d.target_pid);
  return pidfd_open(d.target_pid, d.flags & (O_NONBLOCK | kPidfdThread));
}

// A duplicate of fd `fd` of process `pid`, sharing its description.
UniqueFd take_fd(pid_t pid, int fd) {
  UniqueFd holder = pidfd_open(pid, 0);
  UniqueFd taken(static_cast<int>(::syscall(SYS_pidfd_getfd, holder.get(), fd, 0)));
  if (!taken) throw_errno("restore files: pidfd_getfd(pid {}, fd {})", pid, fd);
  return taken;
}

// Puts `fd` at `entry.fd` (its number in the process), with its close-on-exec flag.
void place(UniqueFd fd, const records::FdEntry& entry) {
  if (fd.get() == entry.fd) {
    if (::fcntl(fd.get(), F_SETFD, entry.cloexec ? FD_CLOEXEC : 0) != 0)
      throw_errno("restore files: fd {} close-on-exec", entry.fd);
    fd.release();
    return;
  }
  if (::dup3(fd.get(), entry.fd, entry.cloexec ? O_CLOEXEC : 0) < 0)
    throw_errno("restore files: dup3 pidfd to fd {}", entry.fd);
}

}  // namespace

bool is_thread_pidfd(const FileDescription& d, const records::FilesState& files) {
  if (d.kind != records::FileKind::kPidfd || !(d.flags & kPidfdThread)) return false;
  for (const auto& process : files.processes)
    if (process.ns_pid == d.target_pid) return false;
  return true;
}

void open_thread_pidfds(Restorer& r, const records::FilesState& files) {
  std::map<uint64_t, const FileDescription*> threads;
  for (const auto& d : files.descriptions)
    if (is_thread_pidfd(d, files)) threads.emplace(d.id, &d);
  if (threads.empty()) return;
  std::map<uint64_t, int> placed;  // description id -> its first fd number here
  for (const auto& process : files.processes) {
    if (process.ns_pid != r.ns_pid()) continue;
    for (const records::FdEntry& entry : process.fds) {
      auto d = threads.find(entry.description);
      if (d == threads.end()) continue;
      uint64_t cloexec = entry.cloexec ? O_CLOEXEC : 0;
      auto first = placed.find(entry.description);
      if (first != placed.end()) {
        r.main().checked("dup3 thread pidfd", SYS_dup3, first->second, entry.fd, cloexec);
        continue;
      }
      long fd = r.main().checked("pidfd_open(thread)", SYS_pidfd_open, d->second->target_pid,
                                 d->second->flags & (O_NONBLOCK | kPidfdThread));
      if (fd != entry.fd) {
        r.main().checked("dup3 thread pidfd", SYS_dup3, fd, entry.fd, cloexec);
        r.main().checked("close", SYS_close, fd);
      } else if (!cloexec) {
        r.main().checked("fcntl thread pidfd", SYS_fcntl, fd, F_SETFD, 0);
      }
      placed.emplace(entry.description, entry.fd);
    }
  }
}

RestoredPidfds::RestoredPidfds(const records::FilesState& state) {
  for (const auto& d : state.descriptions)
    if (d.kind == records::FileKind::kPidfd && !is_thread_pidfd(d, state)) pidfds_.emplace(d.id, d);
  for (const auto& process : state.processes)
    for (const auto& entry : process.fds)
      if (pidfds_.count(entry.description))
        first_.emplace(entry.description, Holder{process.ns_pid, entry.fd});
}

void RestoredPidfds::open_own(const records::ProcessFiles& process) const {
  for (const records::FdEntry& entry : process.fds) {
    auto first = first_.find(entry.description);
    if (first == first_.end() || first->second.ns_pid != process.ns_pid) continue;
    UniqueFd fd;
    if (first->second.fd == entry.fd) {
      fd = open_pidfd(pidfds_.at(entry.description));
    } else {  // a dup of the first: placed already (fds are in ascending order)
      fd = UniqueFd(::fcntl(first->second.fd, F_DUPFD_CLOEXEC, 0));
      if (!fd) throw_errno("restore files: dup pidfd fd {}", first->second.fd);
    }
    place(std::move(fd), entry);
  }
}

void RestoredPidfds::take_shared(const records::ProcessFiles& process) const {
  for (const records::FdEntry& entry : process.fds) {
    auto first = first_.find(entry.description);
    if (first == first_.end() || first->second.ns_pid == process.ns_pid) continue;
    place(take_fd(first->second.ns_pid, first->second.fd), entry);
  }
}

}  // namespace ckpt::restore
