// Restore of pidfds (ckpt/pidfds.h). The process a pidfd refers to may not exist while the root
// task opens the image's descriptions, so the processes holding pidfds make them themselves once
// every process of the tree exists, in two steps:
//  1. open_own(): the first process holding a pidfd description (in the image's order) opens it
//     with pidfd_open() on the pid in the container and the recorded flags (O_NONBLOCK,
//     PIDFD_THREAD), and puts it at each of its fd numbers of that description;
//  2. take_shared(), once every process is through step 1: each other holder takes it from the
//     first one with pidfd_getfd(), so that they share one description as they did.
// A pidfd on a thread that leads no process (PIDFD_THREAD; held only by that thread's process)
// waits for the threads: open_thread_pidfds() injects it into the process once they are made.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <utility>

#include "common/records/files.h"
#include "restore/seize.h"

namespace ckpt::restore {

class RestoredPidfds {
 public:
  explicit RestoredPidfds(const records::FilesState& state);

  // In the forked process `process` (ns pid), every process of the tree forked and its other fds
  // installed.
  void open_own(const records::ProcessFiles& process) const;
  // In the same process once every process is through open_own().
  void take_shared(const records::ProcessFiles& process) const;

 private:
  struct Holder {
    int32_t ns_pid = 0;
    int fd = -1;
  };
  std::map<uint64_t, records::FileDescription> pidfds_;  // description id -> its record
  std::map<uint64_t, Holder> first_;                      // description id -> its first holder
};

// Whether description `d` is a pidfd on a thread that leads no process of `files`.
bool is_thread_pidfd(const records::FileDescription& d, const records::FilesState& files);

// In the restored process `r` (its threads made): opens its pidfds on threads (pidfd_open of
// the thread's id with the recorded flags) at their fd numbers, one description per record.
void open_thread_pidfds(Restorer& r, const records::FilesState& files);

}  // namespace ckpt::restore
