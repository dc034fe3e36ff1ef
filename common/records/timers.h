// The POSIX timers (timer_create) of one process. Section kPosixTimers, id = host pid.
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <vector>

namespace ckpt::records {

struct PosixTimer {
  int32_t id = 0;  // the timer_t the process holds: restored with the same id
  int32_t clock = 0;
  int32_t notify = 0;  // sigev_notify (SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID, ...)
  int32_t signo = 0;
  uint64_t sigval = 0;     // sigev_value
  int32_t target_tid = 0;  // SIGEV_THREAD_ID: the thread signalled, inside the container
  // timer_gettime() at dump time: time left and period.
  int64_t value_sec = 0, value_nsec = 0, interval_sec = 0, interval_nsec = 0;
  int32_t overrun = 0;  // timer_getoverrun(); informational

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, id, clock, notify, signo, sigval, target_tid, value_sec, value_nsec, interval_sec,
           interval_nsec, overrun);
  }
};

struct PosixTimers {
  std::vector<PosixTimer> timers;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, timers);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::PosixTimer, 1)
BOOST_CLASS_VERSION(ckpt::records::PosixTimers, 1)
