#include "common/sched_attr.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include "common/error.h"
#include "common/proc/stat.h"

namespace ckpt {
namespace {

// struct sched_attr of <linux/sched/types.h> up to the deadline fields (SCHED_ATTR_SIZE_VER0);
// that header cannot be included next to glibc's <sched.h>.
struct SchedAttr {
  uint32_t size = sizeof(SchedAttr);
  uint32_t policy = 0;
  uint64_t flags = 0;
  int32_t nice = 0;
  uint32_t priority = 0;
  uint64_t runtime = 0, deadline = 0, period = 0;
};
static_assert(sizeof(SchedAttr) == 48);

// Realtime and deadline policies leave the nice value out of sched_getattr and sched_setattr,
// yet a thread keeps one (shown in /proc, taken back when it leaves the policy). SCHED_IDLE
// keeps it too: sched_setattr computes the priority from the nice it is given, the thread's
// nice stays.
bool nice_apart(uint32_t policy) {
  return policy == SCHED_FIFO || policy == SCHED_RR || policy == SCHED_DEADLINE;
}

}  // namespace

records::Sched read_sched(pid_t tid) {
  SchedAttr attr;
  if (::syscall(SYS_sched_getattr, tid, &attr, sizeof attr, 0) != 0)
    throw_errno("sched_getattr of thread {}", tid);
  if (nice_apart(attr.policy)) {
    errno = 0;
    int nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
    if (errno != 0) throw_errno("getpriority of thread {}", tid);
    attr.nice = nice;
  }
  records::Sched s{attr.policy, attr.flags, attr.nice, attr.priority, attr.runtime,
                   attr.deadline, attr.period};
  s.idle_nice = attr.policy == SCHED_IDLE ? proc::read_stat(tid).priority - 20 : attr.nice;
  return s;
}

namespace {

void set_attr(pid_t tid, const records::Sched& s, int32_t nice) {
  SchedAttr attr;
  attr.policy = s.policy;
  attr.flags = s.flags;
  attr.nice = nice;
  attr.priority = s.priority;
  attr.runtime = s.runtime;
  attr.deadline = s.deadline;
  attr.period = s.period;
  if (::syscall(SYS_sched_setattr, tid, &attr, 0) != 0)
    throw_errno("sched_setattr of thread {} (policy {}, nice {}, priority {})", tid, s.policy,
                nice, s.priority);
}

}  // namespace

void write_sched(pid_t tid, const records::Sched& s) {
  if (s.policy == SCHED_IDLE) {  // the thread's nice first, then the one of its priority
    set_attr(tid, {SCHED_OTHER, s.flags, s.nice, 0, 0, 0, 0, 0}, s.nice);
    set_attr(tid, s, s.idle_nice);
    return;
  }
  set_attr(tid, s, s.nice);
  if (nice_apart(s.policy) && ::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), s.nice) != 0)
    throw_errno("setpriority of thread {} (nice {})", tid, s.nice);
}

}  // namespace ckpt
