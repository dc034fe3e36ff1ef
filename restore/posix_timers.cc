#include "restore/posix_timers.h"

#include <signal.h>
#include <sys/syscall.h>
#include <time.h>

#include "common/error.h"

namespace ckpt::restore {

namespace {

// prctl(PR_TIMER_CREATE_RESTORE_IDS): while on, timer_create() takes the id to give the timer
// from *timerid. Not in Debian 12's headers.
constexpr int kPrTimerCreateRestoreIds = 77;
constexpr uint64_t kSigeventOffset = Restorer::kDataOffset;
constexpr uint64_t kIdOffset = Restorer::kDataOffset + 128;
constexpr uint64_t kSpecOffset = Restorer::kDataOffset + 256;

void create_timer(Restorer& r, const records::PosixTimer& t) {
  struct sigevent event {};
  event.sigev_notify = t.notify;
  event.sigev_signo = t.signo;
  event.sigev_value.sival_ptr = reinterpret_cast<void*>(t.sigval);
  event._sigev_un._tid = t.target_tid;
  r.write(kSigeventOffset, &event, sizeof event);
  int32_t id = t.id;
  r.write(kIdOffset, &id, sizeof id);
  r.main().checked("timer_create", SYS_timer_create, t.clock, r.scratch() + kSigeventOffset,
                   r.scratch() + kIdOffset);
  r.read(kIdOffset, &id, sizeof id);
  if (id != t.id) fail("process {}: POSIX timer {} came back as timer {}", r.ns_pid(), t.id, id);
}

void arm_timer(Restorer& r, const records::PosixTimer& t) {
  if (!t.value_sec && !t.value_nsec) return;  // disarmed
  itimerspec spec{{t.interval_sec, t.interval_nsec}, {t.value_sec, t.value_nsec}};
  r.write(kSpecOffset, &spec, sizeof spec);
  r.main().checked("timer_settime", SYS_timer_settime, t.id, 0, r.scratch() + kSpecOffset, 0);
}

}  // namespace

void restore_posix_timers(Restorer& r, const records::PosixTimers& timers) {
  if (timers.timers.empty()) return;
  r.main().checked("prctl(PR_TIMER_CREATE_RESTORE_IDS, on)", SYS_prctl, kPrTimerCreateRestoreIds,
                   1);
  for (const auto& t : timers.timers) create_timer(r, t);
  r.main().checked("prctl(PR_TIMER_CREATE_RESTORE_IDS, off)", SYS_prctl, kPrTimerCreateRestoreIds,
                   0);
  for (const auto& t : timers.timers) arm_timer(r, t);
}

}  // namespace ckpt::restore
