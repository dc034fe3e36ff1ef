// Text of /proc made comparable between an original process and its restored copy: what
// legitimately differs (host pids, inode numbers of recreated objects, mount ids, the host
// paths of the container's root and cgroup, timing) is cut out or replaced. Pure functions.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt::audit {

// Words separated by blanks (spaces, tabs), joined by one space.
std::string squeeze_blanks(std::string_view text);

// An fd's link target: pipe:[N] -> pipe, socket:[N] -> socket, /dir/#N (deleted) (a file made
// with O_TMPFILE) -> /dir/#<inode> (deleted), anything else unchanged.
std::string normalize_fd_target(const std::string& target);

// The value of one fdinfo line, or nullopt for lines that differ in any restore (pos and flags
// are kept; mnt_id, ino, eventfd-id dropped; inode, device and handle words of epoll/inotify
// lines dropped; a timerfd's time left becomes armed/disarmed, its expirations 0/some; lock
// lines normalised).
std::optional<std::string> normalize_fdinfo_value(const std::string& key,
                                                  const std::string& value);

// One line of /proc/locks (or the value of an fdinfo "lock:" line):
// "1: [-> ]POSIX  ADVISORY  WRITE 3253 00:1a:1234 0 EOF".
struct LockLine {
  pid_t pid = 0;        // as the reader's pid namespace sees it, -1 for OFD locks
  std::string dev_ino;  // "00:1a:1234": major and minor in hex, inode in decimal
  std::string text;     // "POSIX ADVISORY WRITE 0 EOF" ("-> " first when blocked)
};
std::optional<LockLine> parse_lock_line(std::string_view line);

// "00:1a:1234" for a file's st_dev and st_ino, as /proc/locks prints them.
std::string lock_dev_ino(dev_t dev, ino_t ino);

// A /proc/PID/cgroup path with the container's cgroup ("/ckpt/ID") replaced by "<container>".
std::string normalize_cgroup_path(const std::string& path, const std::string& container_cgroup);

// A pending-signal set of /proc/PID/status ("0000000000002800") without SIGALRM, SIGVTALRM and
// SIGPROF: the interval timers run on through a --leave-running dump and after a restore, so
// whether their signal is pending at the moment the facts are read is timing (as a timerfd's
// ticks). Anything that is not such a hex set is returned as it is.
std::string pending_without_timer_signals(const std::string& set);

// The VmFlags words compared: userfaultfd registrations (a dump's write tracking), soft-dirty
// and "ac" (VM_ACCOUNT: commit charge; a restore maps private file mappings writable to fill
// them, which charges them all, where the original was charged only for the parts it wrote)
// are dropped.
std::string kept_vm_flags(const std::vector<std::string>& flags);

}  // namespace ckpt::audit
