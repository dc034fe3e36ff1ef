// The kind-specific lines of /proc/PID/fdinfo/FD for event fds: epoll watches ("tfd:"),
// timerfd state, signalfd mask and inotify watches ("inotify wd:").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt::proc {

struct EpollTarget {
  int fd = 0;           // tfd: the fd number the watch was added with
  uint32_t events = 0;  // hexadecimal in fdinfo
  uint64_t data = 0;    // hexadecimal
  uint64_t ino = 0;     // of the watched file (hexadecimal)
  uint64_t sdev = 0;    // kernel dev_t of its superblock (hexadecimal)
};

struct TimerfdInfo {
  int clock = 0;
  uint64_t ticks = 0;
  uint32_t settime_flags = 0;  // octal
  int64_t value_ns = 0;        // remaining until the next expiry
  int64_t interval_ns = 0;
};

// The inode an inotify watch or fanotify inode mark is on.
struct WatchedInode {
  uint64_t ino = 0;
  uint64_t sdev = 0;  // kernel dev_t (major << 20 | minor)
  int handle_type = 0;
  std::string handle;  // f_handle bytes
};

struct InotifyMark : WatchedInode {
  int wd = 0;
  uint32_t mask = 0;
};

// A fanotify mark: on an inode ("fanotify ino:"), a mount ("fanotify mnt_id:") or a filesystem
// ("fanotify sdev:").
struct FanotifyMarkInfo {
  enum class On { kInode, kMount, kFilesystem };
  On on = On::kInode;
  WatchedInode inode;  // kInode (and sdev for kFilesystem)
  int mnt_id = 0;      // kMount
  uint32_t mflags = 0;  // FAN_MARK_EVICTABLE, FAN_MARK_IGNORED_SURV_MODIFY, FAN_MARK_IGNORE
  uint64_t mask = 0;
  uint64_t ignored_mask = 0;
};

struct FanotifyInfo {
  uint32_t flags = 0;        // fanotify_init flags (class, FAN_REPORT_*, FAN_NONBLOCK, ...)
  uint32_t event_flags = 0;  // fanotify_init event_f_flags
  std::vector<FanotifyMarkInfo> marks;
};

// Each parser throws Error naming the malformed line.
std::vector<EpollTarget> parse_epoll_targets(std::string_view fdinfo);
TimerfdInfo parse_timerfd(std::string_view fdinfo);
uint64_t parse_signalfd_mask(std::string_view fdinfo);
std::vector<InotifyMark> parse_inotify_marks(std::string_view fdinfo);
FanotifyInfo parse_fanotify(std::string_view fdinfo);
// One "fanotify ino:|mnt_id:|sdev:" line.
FanotifyMarkInfo parse_fanotify_mark(std::string_view line);

}  // namespace ckpt::proc
