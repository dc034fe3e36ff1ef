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

struct InotifyMark {
  int wd = 0;
  uint32_t mask = 0;
  uint64_t ino = 0;
  uint64_t sdev = 0;  // kernel dev_t (major << 20 | minor)
  int handle_type = 0;
  std::string handle;  // f_handle bytes
};

// Each parser throws Error naming the malformed line.
std::vector<EpollTarget> parse_epoll_targets(std::string_view fdinfo);
TimerfdInfo parse_timerfd(std::string_view fdinfo);
uint64_t parse_signalfd_mask(std::string_view fdinfo);
std::vector<InotifyMark> parse_inotify_marks(std::string_view fdinfo);

}  // namespace ckpt::proc
