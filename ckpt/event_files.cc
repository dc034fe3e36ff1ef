#include "ckpt/event_files.h"

#include <sys/ioctl.h>
#include <time.h>

#include <filesystem>
#include <map>
#include <set>

#include "common/clock.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/log.h"
#include "common/proc/fdinfo.h"
#include "common/proc/fdinfo_events.h"
#include "common/proc/pidfd.h"

namespace ckpt::dump {

namespace {

using records::FileKind;

std::string_view kind_name(NotifyKind kind) {
  return kind == NotifyKind::kInotify ? "inotify instance" : "fanotify group";
}

void refuse_queued_events(const NotifyFd& held) {
  UniqueFd own = proc::take_fd(held.pid, held.fd);
  int queued = 0;
  if (::ioctl(own.get(), FIONREAD, &queued) != 0) throw_errno("{}: FIONREAD", kind_name(held.kind));
  if (queued > 0)
    fail(ErrorKind::kRefused,
         "pid {} fd {}: {} has {} bytes of events queued unread; not supported (dump again once "
         "it has read them)",
         held.pid, held.fd, kind_name(held.kind), queued);
}

records::Timerfd collect_timerfd(uint64_t id, const HeldFd& at) {
  proc::TimerfdInfo info = proc::parse_timerfd(proc::read_fdinfo_text(at.host_pid, at.fd));
  records::Timerfd t;
  t.id = id;
  t.clock = info.clock;
  t.settime_flags = info.settime_flags;
  t.remaining_ns = info.value_ns;
  t.interval_ns = info.interval_ns;
  t.ticks = info.ticks;
  t.dumped_at_realtime_ns = clock_now_ns(CLOCK_REALTIME);
  return t;
}

void collect_one(const records::FileDescription& d, const HeldFd& at,
                 const std::vector<HeldFd>& fds, const proc::FdinfoTexts& fdinfo_before,
                 records::EventFilesState& out) {
  try {
    switch (d.kind) {
      case FileKind::kEpoll:
        out.epolls.push_back(collect_epoll(d.id, at, fds));
        break;
      case FileKind::kTimerfd:
        out.timerfds.push_back(collect_timerfd(d.id, at));
        break;
      case FileKind::kSignalfd:
        out.signalfds.push_back(
            {d.id, proc::parse_signalfd_mask(proc::read_fdinfo_text(at.host_pid, at.fd))});
        break;
      case FileKind::kInotify:
        out.inotifies.push_back(collect_inotify(d.id, at, fds, fdinfo_before));
        break;
      case FileKind::kNetlinkSocket:
        out.netlink_sockets.push_back(collect_netlink(d.id, at));
        break;
      case FileKind::kFanotify:
        out.fanotifies.push_back(collect_fanotify(d.id, at, fdinfo_before));
        break;
      default:
        break;
    }
  } catch (const Error& e) {
    fail(kind_of(e), "pid {} fd {}: {}", at.host_pid, at.fd, e.what());
  }
}

}  // namespace

std::vector<HeldFd> held_fds(const records::FilesState& state) {
  std::vector<HeldFd> fds;
  for (const auto& process : state.processes) {
    for (const auto& entry : process.fds)
      fds.push_back({process.host_pid, process.ns_pid, entry.fd, entry.description});
  }
  return fds;
}

records::EventFilesState collect_event_files(const records::FilesState& state,
                                             const proc::FdinfoTexts& fdinfo_before) {
  std::map<uint64_t, const records::FileDescription*> by_id;
  for (const auto& d : state.descriptions) by_id[d.id] = &d;
  std::vector<HeldFd> fds = held_fds(state);
  records::EventFilesState out;
  std::set<uint64_t> done;
  for (const HeldFd& at : fds) {
    if (!done.insert(at.description).second) continue;
    auto it = by_id.find(at.description);
    if (it == by_id.end())
      fail("files: pid {} fd {}: no description {}", at.host_pid, at.fd, at.description);
    collect_one(*it->second, at, fds, fdinfo_before, out);
  }
  return out;
}

void write_event_files(const records::FilesState& state, const proc::FdinfoTexts& fdinfo_before,
                       image::ImageWriter& image) {
  records::EventFilesState events = collect_event_files(state, fdinfo_before);
  if (events.empty()) return;
  image.put(image::SectionType::kEventFiles, 0, events);
  spdlog::debug("event files: {} epoll, {} timerfd, {} signalfd, {} inotify, {} fanotify, {} netlink",
                events.epolls.size(), events.timerfds.size(), events.signalfds.size(),
                events.inotifies.size(), events.fanotifies.size(), events.netlink_sockets.size());
}

std::vector<NotifyFd> notify_fds(const records::ProcessTree& tree) {
  std::vector<NotifyFd> out;
  for (const auto& process : tree.processes) {
    if (process.zombie) continue;
    std::error_code ec;
    std::string dir = "/proc/" + std::to_string(process.host_pid) + "/fd";
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      std::string link = std::filesystem::read_symlink(entry.path(), ec);
      int fd = std::stoi(entry.path().filename().string());
      if (link == "anon_inode:inotify") out.push_back({process.host_pid, fd, NotifyKind::kInotify});
      if (link == "anon_inode:[fanotify]")
        out.push_back({process.host_pid, fd, NotifyKind::kFanotify});
    }
  }
  return out;
}

void refuse_queued_notify_events(const std::vector<NotifyFd>& fds) {
  for (const NotifyFd& held : fds) {
    if (held.kind == NotifyKind::kFanotify) {
      try {
        refuse_permission_class(
            proc::parse_fanotify(proc::read_fdinfo_text(held.pid, held.fd)).flags);
      } catch (const Error& e) {
        fail(kind_of(e), "pid {} fd {}: {}", held.pid, held.fd, e.what());
      }
    }
    refuse_queued_events(held);
  }
}

}  // namespace ckpt::dump
