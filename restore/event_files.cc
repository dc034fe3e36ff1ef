#include "restore/event_files.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "common/clock.h"
#include "common/error.h"
#include "restore/fd_kinds.h"

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

namespace ckpt::restore {

namespace {

using records::FileDescription;
using records::FileKind;

template <class Record>
const Record& by_id(const std::vector<Record>& records, uint64_t id, const char* what) {
  auto it =
      std::find_if(records.begin(), records.end(), [&](const Record& r) { return r.id == id; });
  if (it == records.end()) fail("restore files: no {} record for description {}", what, id);
  return *it;
}

timespec to_timespec(int64_t ns) {
  return {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

bool is_realtime(int clock) {
  return clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_ALARM;
}

// Armed again for the time that remained at dump (a periodic timer whose expiries were not read
// has no time left in fdinfo: it restarts when read, so it gets one interval). Absolute timers
// keep their absolute flags; a wall-clock deadline stays the same moment of wall-clock time.
void arm_timerfd(int fd, const records::Timerfd& t) {
  int64_t value = t.remaining_ns;
  if (value == 0) value = t.interval_ns;
  if (value == 0) return;
  itimerspec spec{};
  spec.it_interval = to_timespec(t.interval_ns);
  int flags = 0;
  if (t.settime_flags & TFD_TIMER_ABSTIME) {
    int64_t deadline =
        is_realtime(t.clock) ? t.dumped_at_realtime_ns + value : clock_now_ns(t.clock) + value;
    spec.it_value = to_timespec(deadline);
    flags = static_cast<int>(t.settime_flags);
  } else {
    spec.it_value = to_timespec(value);
  }
  if (::timerfd_settime(fd, flags, &spec, nullptr) != 0) throw_errno("timerfd_settime");
}

UniqueFd open_timerfd(const records::Timerfd& t, uint32_t flags) {
  int create_flags = TFD_CLOEXEC | ((flags & O_NONBLOCK) ? TFD_NONBLOCK : 0);
  UniqueFd fd(::timerfd_create(t.clock, create_flags));
  if (!fd) throw_errno("timerfd_create(clock {})", t.clock);
  arm_timerfd(fd.get(), t);
  uint64_t ticks = t.ticks;
  if (ticks != 0 && ::ioctl(fd.get(), TFD_IOC_SET_TICKS, &ticks) != 0)
    throw_errno("timerfd: set {} pending expirations", ticks);
  return fd;
}

UniqueFd open_signalfd(const records::Signalfd& s, uint32_t flags) {
  sigset_t mask;
  sigemptyset(&mask);
  std::memcpy(&mask, &s.mask, sizeof s.mask);  // the kernel's first word: signals 1-64
  int create_flags = SFD_CLOEXEC | ((flags & O_NONBLOCK) ? SFD_NONBLOCK : 0);
  UniqueFd fd(::signalfd(-1, &mask, create_flags));
  if (!fd) throw_errno("signalfd(mask {:x})", s.mask);
  return fd;
}

UniqueFd open_proc_file(const FileDescription& d) {
  UniqueFd fd(::open(d.path.c_str(), reopen_flags(d.flags)));
  if (!fd) throw_errno("restore files: open({})", d.path);
  restore_offset(fd.get(), d);
  return fd;
}

int highest_fd(const records::ProcessFiles& process) {
  int highest = 2;
  for (const auto& entry : process.fds) highest = std::max(highest, entry.fd);
  return highest;
}

}  // namespace

bool is_pid_proc_path(const std::string& path) {
  if (!path.starts_with("/proc/")) return false;
  size_t end = path.find('/', 6);
  std::string pid = path.substr(6, end == std::string::npos ? std::string::npos : end - 6);
  return !pid.empty() && std::all_of(pid.begin(), pid.end(), ::isdigit);
}

EventFiles::EventFiles(const records::FilesState& files, records::EventFilesState state)
    : state_(std::move(state)) {
  for (const auto& d : files.descriptions) {
    if (handles(d.kind)) descriptions_.emplace(d.id, d);
  }
  for (const auto& process : files.processes) {
    for (const auto& entry : process.fds) {
      auto it = descriptions_.find(entry.description);
      if (it != descriptions_.end() && it->second.kind == FileKind::kEpoll)
        first_holder_.emplace(entry.description, process.ns_pid);
    }
  }
}

bool EventFiles::handles(FileKind kind) {
  switch (kind) {
    case FileKind::kEpoll:
    case FileKind::kTimerfd:
    case FileKind::kSignalfd:
    case FileKind::kInotify:
    case FileKind::kFanotify:
    case FileKind::kNetlinkSocket:
    case FileKind::kProcFile:
      return true;
    default:
      return false;
  }
}

const FileDescription& EventFiles::description(uint64_t id) const {
  auto it = descriptions_.find(id);
  if (it == descriptions_.end()) fail("restore files: no event file description {}", id);
  return it->second;
}

UniqueFd EventFiles::open(const FileDescription& d,
                          const std::map<uint64_t, UniqueFd>& opened) const {
  switch (d.kind) {
    case FileKind::kEpoll:
      return open_epoll(d);
    case FileKind::kTimerfd:
      return open_timerfd(by_id(state_.timerfds, d.id, "timerfd"), d.flags);
    case FileKind::kSignalfd:
      return open_signalfd(by_id(state_.signalfds, d.id, "signalfd"), d.flags);
    case FileKind::kInotify:
      return open_inotify(by_id(state_.inotifies, d.id, "inotify"), d.flags, opened);
    case FileKind::kFanotify:
      return open_fanotify(by_id(state_.fanotifies, d.id, "fanotify"), d.flags);
    case FileKind::kNetlinkSocket:
      return open_netlink(by_id(state_.netlink_sockets, d.id, "netlink socket"), d.flags);
    case FileKind::kProcFile:
      if (is_pid_proc_path(d.path)) return UniqueFd();
      return open_proc_file(d);
    default:
      fail("restore files: description {} of kind {} is no event file", d.id,
           static_cast<uint32_t>(d.kind));
  }
}

void EventFiles::open_late(const records::ProcessFiles& process,
                           std::map<uint64_t, UniqueFd>& high) const {
  int above = highest_fd(process) + 1;
  for (const auto& entry : process.fds) {
    if (high.count(entry.description) || !descriptions_.count(entry.description)) continue;
    UniqueFd fd = open_proc_file(description(entry.description));
    UniqueFd moved(::fcntl(fd.get(), F_DUPFD_CLOEXEC, above));
    if (!moved) throw_errno("restore files: move {} above fd {}", fd.get(), above);
    high.emplace(entry.description, std::move(moved));
  }
}

}  // namespace ckpt::restore
