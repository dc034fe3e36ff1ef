// The restore side of virtual time. The root task must be the first process of a time namespace
// whose offsets were written before it existed (the kernel freezes them once a process enters),
// so the tracer unshares one for its children, sets the offsets, clones the root task, and then
// goes back to cloning into its own.
#pragma once

#include <memory>

#include "common/image/image.h"
#include "common/records/time.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

// While alive, processes this (single-threaded) process forks start in a new time namespace in
// which CLOCK_MONOTONIC and CLOCK_BOOTTIME continue from `dumped`.
class ChildTimeNamespace {
 public:
  explicit ChildTimeNamespace(const records::TimeNamespace& dumped);
  ~ChildTimeNamespace();
  ChildTimeNamespace(const ChildTimeNamespace&) = delete;
  ChildTimeNamespace& operator=(const ChildTimeNamespace&) = delete;

 private:
  UniqueFd own_;  // our time namespace, for children forked after the root task
};

// A ChildTimeNamespace from the image's kTime section; null for an image without one.
std::unique_ptr<ChildTimeNamespace> prepare_time_namespace(const image::ImageReader& image);

// The "monotonic S N\nboottime S N\n" text for /proc/self/timens_offsets that makes the clocks
// read `dumped` when the host's read `host_now` (nanoseconds normalized to [0, 1e9)).
std::string timens_offsets(const records::TimeNamespace& dumped,
                           const records::TimeNamespace& host_now);

}  // namespace ckpt::restore
