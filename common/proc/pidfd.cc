#include "common/proc/pidfd.h"

#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"

namespace ckpt::proc {

UniqueFd take_fd(pid_t pid, int fd) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) throw_errno("pidfd_open(pid {})", pid);
  UniqueFd taken(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
  if (!taken) throw_errno("pidfd_getfd(pid {} fd {})", pid, fd);
  return taken;
}

}  // namespace ckpt::proc
