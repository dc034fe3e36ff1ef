// One `ckpt backup` at a time per directory and container: an exclusive flock on DIR/.ID.lock,
// which goes with its holder, also when it is killed. A second backup finds it taken and gives
// up at once (an Error of kind kBusy: exit code 4) instead of queueing behind the first, as a
// cron job started again before the last one ended should.
#pragma once

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace ckpt::backup {

class BackupLock {
 public:
  BackupLock(const std::string& dir, const std::string& id);
  BackupLock(const BackupLock&) = delete;
  BackupLock& operator=(const BackupLock&) = delete;

 private:
  UniqueFd fd_;
};

}  // namespace ckpt::backup
