// Dump of file locks, leases and SIGIO owners/signals (records/file_locks.h). The locks come from
// the "lock:" lines of each fd's fdinfo (a POSIX lock shows in the fds of its owner process only,
// an OFD/flock lock or lease in every fd of its description); /proc/locks is read to find any
// lock of a container process that no fd shows (held through a mapping or an fd in flight),
// which refuses the dump. Owners are read with F_GETOWN_EX/F_GETSIG on a copy of the fd.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "common/proc/locks.h"
#include "common/records/file_locks.h"

namespace ckpt::dump {

struct FdFacts;

// F_GETOWN_EX and F_GETSIG of one fd, owner as the dumper's pid namespace sees it.
struct FdOwner {
  int type = 0;     // F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP
  pid_t host_id = 0;  // 0: no owner
  int signal = 0;
  bool operator==(const FdOwner&) const = default;
};

// Reads the owner and signal of fd `fd` of `pid` (through a copy of it).
FdOwner read_fd_owner(pid_t pid, int fd);

// Gathers the locks and owners of every fd, each once.
class FileLocksCollector {
 public:
  // Notes the locks and owner seen through one fd of process `ns_pid` (description `id`).
  // Throws Error naming pid and fd for a lock that cannot be restored (a lease being broken, a
  // delegation, ...).
  void add_fd(const FdFacts& facts, pid_t ns_pid, uint64_t description);

  // Host pids and lines of every lock noted (to compare with /proc/locks).
  const std::vector<proc::LockLine>& seen() const { return seen_; }

  // The record, owners translated into the container's pid namespace (`host_to_ns`: every
  // process of the container). Throws Error naming pid and fd for an owner outside it.
  records::FileLocksState finish(const std::map<pid_t, pid_t>& host_to_ns);

 private:
  records::FileLocksState state_;
  std::vector<proc::LockLine> seen_;
  std::vector<std::pair<uint64_t, proc::LockLine>> keys_;  // (description or 0 for POSIX, lock)
  struct OwnerAt {
    FdOwner owner;
    pid_t pid;
    int fd;
  };
  std::map<uint64_t, OwnerAt> owners_;  // description -> its owner, seen through pid's fd
};

// Throws Error naming the process for a lock in `proc_locks` (the text of /proc/locks) held by
// one of `host_pids` that no fd showed.
void check_every_lock_seen(const std::string& proc_locks, const std::set<pid_t>& host_pids,
                           const std::vector<proc::LockLine>& seen);


}  // namespace ckpt::dump
