#include "common/ns/clone.h"

#include <linux/sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"

namespace ckpt::ns {

pid_t clone_fork(uint64_t flags, std::span<const pid_t> set_tid, int exit_signal) {
  struct clone_args args {};
  args.flags = flags;
  args.exit_signal = static_cast<uint64_t>(exit_signal);
  args.set_tid = reinterpret_cast<uint64_t>(set_tid.data());
  args.set_tid_size = set_tid.size();
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) throw_errno("clone3(flags={:#x}, set_tid_size={})", flags, set_tid.size());
  return static_cast<pid_t>(pid);
}

}  // namespace ckpt::ns
