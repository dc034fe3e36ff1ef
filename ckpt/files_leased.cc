#include "ckpt/files_leased.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "common/error.h"
#include "common/proc/fdinfo.h"
#include "common/proc/locks.h"
#include "common/proc/pidfd.h"

namespace ckpt::dump {

namespace {

bool is_write_lease(const proc::LockLine& lock) {
  return lock.kind == proc::LockKind::kLease && lock.active && lock.write && !lock.waiter;
}

// The fd of `pid` whose fdinfo lists `lease`; -1 when none does (it exited meanwhile).
int fd_holding(pid_t pid, const proc::LockLine& lease) {
  std::string dir = "/proc/" + std::to_string(pid) + "/fdinfo";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return -1;
  int found = -1;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    int fd = std::atoi(e->d_name);
    std::string text;
    try {
      text = proc::read_fdinfo_text(pid, fd);
    } catch (const Error&) {
      continue;  // closed meanwhile
    }
    for (const auto& lock : proc::parse_fdinfo(text).locks)
      if (is_write_lease(lock) && lock.ino == lease.ino && lock.dev_major == lease.dev_major &&
          lock.dev_minor == lease.dev_minor)
        found = fd;
    if (found >= 0) break;
  }
  ::closedir(d);
  return found;
}

}  // namespace

LeasedFiles LeasedFiles::read() {
  std::ifstream in("/proc/locks");
  std::stringstream text;
  text << in.rdbuf();
  LeasedFiles out;
  for (const auto& lock : proc::parse_proc_locks(text.str())) {
    if (!is_write_lease(lock)) continue;
    int fd = fd_holding(lock.pid, lock);
    if (fd < 0) continue;
    out.fds_[{makedev(lock.dev_major, lock.dev_minor), static_cast<ino_t>(lock.ino)}] =
        proc::take_fd(lock.pid, fd);
  }
  return out;
}

UniqueFd LeasedFiles::holder_fd(dev_t dev, ino_t ino) const {
  auto it = fds_.find({dev, ino});
  if (it == fds_.end()) return UniqueFd();
  UniqueFd copy(::fcntl(it->second.get(), F_DUPFD_CLOEXEC, 0));
  if (!copy) throw_errno("dup the fd of a write-leased file");
  return copy;
}

}  // namespace ckpt::dump
