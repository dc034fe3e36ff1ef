// Event and special fds of a container: epoll instances with their watches, timerfds, signalfds,
// inotify instances with their watches, fanotify groups with their marks and netlink sockets. Section kEventFiles (id 0) holds one
// EventFilesState; each record is keyed by FileDescription::id of its description (files.h).
// kProcFile descriptions need nothing beyond FileDescription (path, flags, pos).
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::records {

// One watch of an epoll instance. The kernel keys a watch by (file, fd number): it is added again
// with the same fd number `fd` in process `ns_pid`, where that fd is `target` at dump time.
struct EpollWatch {
  int32_t fd = 0;       // the watched fd number (fdinfo tfd)
  uint64_t target = 0;  // FileDescription::id of the watched file
  int32_t ns_pid = 0;   // a process whose fd `fd` is `target`; 0 if none (fd closed since)
  uint32_t events = 0;  // with EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE, EPOLLWAKEUP
  uint64_t data = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, fd, target, ns_pid, events, data);
  }
};

struct EpollInstance {
  uint64_t id = 0;  // FileDescription::id
  std::vector<EpollWatch> watches;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, id, watches);
  }
};

struct Timerfd {
  uint64_t id = 0;
  int32_t clock = 0;                  // CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, ..._ALARM
  uint32_t settime_flags = 0;         // TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET
  int64_t remaining_ns = 0;           // until the next expiry at dump time; 0 = disarmed or expired
  int64_t interval_ns = 0;            // 0 = one-shot
  uint64_t ticks = 0;                 // expirations not read yet
  int64_t dumped_at_realtime_ns = 0;  // CLOCK_REALTIME at dump: absolute wall-clock deadlines

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, id, clock, settime_flags, remaining_ns, interval_ns, ticks, dumped_at_realtime_ns);
  }
};

struct Signalfd {
  uint64_t id = 0;
  uint64_t mask = 0;  // bit n-1 = signal n

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, id, mask);
  }
};

// A watch is added again by path. One on an inode whose name is gone (unlinked while watched,
// which the kernel keeps only while something holds the inode: an open file) is added on the
// restored file of an open file description on that inode (`target`, v2; path empty).
struct InotifyWatch {
  int32_t wd = 0;
  uint32_t mask = 0;  // events and IN_ONESHOT/IN_EXCL_UNLINK/... as inotify_add_watch takes them
  std::string path;   // the watched inode's path as the process sees it; empty when removed
  uint64_t target = 0;  // v2: removed inode: FileDescription::id of an open file on it

  bool removed() const { return target != 0; }

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, wd, mask, path);
    if (version >= 2) fields(ar, target);
  }
};

struct InotifyInstance {
  uint64_t id = 0;
  std::vector<InotifyWatch> watches;  // ascending wd

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, id, watches);
  }
};

// A fanotify mark, added again by path: on the inode `path` names, on the mount at `path`, or on
// the filesystem `path` is on (the restored container's own).
struct FanotifyMark {
  enum class On : uint8_t { kInode = 0, kMount = 1, kFilesystem = 2 };
  On on = On::kInode;
  std::string path;     // as the process sees it
  uint32_t mflags = 0;  // FAN_MARK_EVICTABLE, FAN_MARK_IGNORED_SURV_MODIFY, FAN_MARK_IGNORE
  uint64_t mask = 0;
  uint64_t ignored_mask = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, on, path, mflags, mask, ignored_mask);
  }
};

// A fanotify group of the notification class (permission classes and queued events refuse the
// dump): made again with its fanotify_init flags and its marks.
struct FanotifyGroup {
  uint64_t id = 0;
  uint32_t flags = 0;        // fanotify_init flags as fdinfo shows them
  uint32_t event_flags = 0;  // fanotify_init event_f_flags
  std::vector<FanotifyMark> marks;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, id, flags, event_flags, marks);
  }
};

// A netlink socket: recreated in the restored network namespace and bound again. Messages
// queued in it are not kept.
struct NetlinkSocket {
  uint64_t id = 0;
  int32_t type = 0;              // SOCK_RAW or SOCK_DGRAM
  int32_t protocol = 0;          // NETLINK_ROUTE, ...
  uint32_t port_id = 0;          // bound nl_pid; 0 when not bound
  std::vector<uint32_t> groups;  // multicast groups joined (1-based)

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, id, type, protocol, port_id, groups);
  }
};

struct EventFilesState {
  std::vector<EpollInstance> epolls;
  std::vector<Timerfd> timerfds;
  std::vector<Signalfd> signalfds;
  std::vector<InotifyInstance> inotifies;
  std::vector<NetlinkSocket> netlink_sockets;
  std::vector<FanotifyGroup> fanotifies;  // v2

  bool empty() const {
    return epolls.empty() && timerfds.empty() && signalfds.empty() && inotifies.empty() &&
           netlink_sockets.empty() && fanotifies.empty();
  }

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, epolls, timerfds, signalfds, inotifies, netlink_sockets);
    if (version >= 2) fields(ar, fanotifies);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::EpollWatch, 1)
BOOST_CLASS_VERSION(ckpt::records::EpollInstance, 1)
BOOST_CLASS_VERSION(ckpt::records::Timerfd, 1)
BOOST_CLASS_VERSION(ckpt::records::Signalfd, 1)
BOOST_CLASS_VERSION(ckpt::records::InotifyWatch, 2)
BOOST_CLASS_VERSION(ckpt::records::InotifyInstance, 1)
BOOST_CLASS_VERSION(ckpt::records::NetlinkSocket, 1)
BOOST_CLASS_VERSION(ckpt::records::FanotifyMark, 1)
BOOST_CLASS_VERSION(ckpt::records::FanotifyGroup, 1)
BOOST_CLASS_VERSION(ckpt::records::EventFilesState, 2)
