#include "backup/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/error_kind.h"
#include "common/fs.h"

namespace ckpt::backup {

BackupLock::BackupLock(const std::string& dir, const std::string& id) {
  std::string path = dir + "/." + id + ".lock";
  fd_ = UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd_) throw_errno("open {}", path);
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) throw_errno("lock {}", path);
    std::string holder = fs::try_read_file(path).value_or("");
    fail(ErrorKind::kBusy, "a backup of {} into {} is already running{}", id, dir,
         holder.empty() ? "" : " (pid " + holder + ")");
  }
  std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_.get(), 0) != 0 || ::pwrite(fd_.get(), pid.data(), pid.size(), 0) < 0)
    throw_errno("write {}", path);
}

}  // namespace ckpt::backup
