// Files a process holds a write lease on: any open of such a file by another starts a break of
// the lease (its holder is signalled, the open waits for it, and the lease is gone after the
// break time), so the dump reads them (a tmpfs's files, deleted files) through their holder's
// open file description (common/borrowed_description) instead of opening them.
#pragma once

#include <sys/types.h>

#include <map>
#include <utility>

#include "common/unique_fd.h"

namespace ckpt::dump {

class LeasedFiles {
 public:
  // The write leases /proc/locks lists, each with a copy of its holder's fd.
  static LeasedFiles read();

  // A copy of the fd a write lease on (`dev`, `ino`) is held through; invalid when none is.
  UniqueFd holder_fd(dev_t dev, ino_t ino) const;

 private:
  std::map<std::pair<dev_t, ino_t>, UniqueFd> fds_;
};

}  // namespace ckpt::dump
