// Restore of file locks, leases and SIGIO owners/signals (records/file_locks.h), each by its
// owner: OFD and flock locks and leases on their open file descriptions in the root task once
// every description is open; POSIX locks in their process once its fds are installed (closing
// any fd of a file drops the closer's POSIX locks on it); owners and signals by the tracer once
// every process exists (F_SETOWN refuses a pid that does not exist yet).
#pragma once

#include <sys/types.h>

#include <map>

#include "common/image/image.h"
#include "common/records/file_locks.h"
#include "common/records/files.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

// The kFileLocks section of the image; empty for images without one.
records::FileLocksState read_file_locks(const image::ImageReader& image);

// OFD and flock locks and leases; `opened`: description id -> an fd of it.
void take_description_locks(const records::FileLocksState& locks,
                            const std::map<uint64_t, UniqueFd>& opened);

// The POSIX locks of process `ns_pid`, through its own fds.
void take_process_locks(const records::FileLocksState& locks, pid_t ns_pid);

// F_SETOWN_EX and F_SETSIG of every description that had them, through a copy of one of its fds
// (`host_pids`: ns pid -> host pid of every restored process).
void set_file_owners(const image::ImageReader& image, const std::map<pid_t, pid_t>& host_pids);

}  // namespace ckpt::restore
