// The container's time namespace: its clocks at the dump instant, so that restore can make them
// continue from there (records only what differs per namespace; CLOCK_REALTIME is the host's).
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/version.hpp>
#include <cstdint>

namespace ckpt::records {

struct ClockValue {
  int64_t sec = 0;
  int64_t nsec = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, sec, nsec);
  }
};

struct TimeNamespace {
  ClockValue monotonic;  // CLOCK_MONOTONIC as the container saw it when it was dumped
  ClockValue boottime;   // CLOCK_BOOTTIME, same instant

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, monotonic, boottime);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::ClockValue, 1)
BOOST_CLASS_VERSION(ckpt::records::TimeNamespace, 1)
