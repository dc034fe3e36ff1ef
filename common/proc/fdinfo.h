// /proc/PID/fdinfo/FD: the position, status flags and kind-specific fields of one open fd.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/proc/locks.h"

namespace ckpt::proc {

struct FdInfo {
  int64_t pos = 0;
  uint32_t flags = 0;  // as the kernel prints them (octal), O_CLOEXEC included when set on the fd
  int32_t mnt_id = 0;
  uint64_t ino = 0;
  std::optional<uint64_t> eventfd_count;  // eventfd only ("eventfd-count", hexadecimal)
  bool eventfd_semaphore = false;
  // pidfd only ("Pid"): the process it refers to, in the reader's pid namespace; -1 once reaped
  std::optional<int32_t> pid;
  std::vector<LockLine> locks;  // "lock:" lines: the locks held through this fd
};

// Parses the text of an fdinfo file. Throws Error when pos or flags is missing or malformed.
FdInfo parse_fdinfo(std::string_view text);

// The text of /proc/<pid>/fdinfo/<fd>.
std::string read_fdinfo_text(pid_t pid, int fd);

// fdinfo texts read before the dump changed what they show (the masks of the inotify watches and
// fanotify marks it mutes for its own reads: ckpt/event_files_muted), by (host pid, fd).
using FdinfoTexts = std::map<std::pair<pid_t, int>, std::string>;

// The text `before` holds for (pid, fd), else the live one.
std::string read_fdinfo_text(pid_t pid, int fd, const FdinfoTexts& before);

// Reads and parses /proc/<pid>/fdinfo/<fd>.
FdInfo read_fdinfo(pid_t pid, int fd);

}  // namespace ckpt::proc
