#include "common/container_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/container_state.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/fs.h"

namespace ckpt {

namespace {

// Whether `fd` is still the file at `path` (a holder that finished may have removed it).
bool still_at(int fd, const std::filesystem::path& path) {
  struct stat held {}, named {};
  return ::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 &&
         held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

}  // namespace

ContainerLock::ContainerLock(const std::string& id, const std::string& verb) : id_(id) {
  validate_container_id(id);
  auto dir = state_root() / ".locks";
  std::filesystem::create_directories(dir);
  path_ = dir / id;
  for (;;) {
    fd_ = UniqueFd(::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd_) throw_errno("open lock {}", path_.string());
    if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK) throw_errno("lock {}", path_.string());
      std::string holder = fs::trim(fs::try_read_file(path_).value_or(""));
      fail(ErrorKind::kBusy, "container '{}' is busy: ckpt {} is working on it", id,
           holder.empty() ? "another command" : holder);
    }
    if (still_at(fd_.get(), path_)) break;
  }
  std::string me = fmt::format("{} (pid {})\n", verb, ::getpid());
  if (::ftruncate(fd_.get(), 0) != 0 || !fs::try_write_all(fd_.get(), me))
    throw_errno("write lock {}", path_.string());
}

ContainerLock::~ContainerLock() {
  if (!ContainerState::exists(id_)) ::unlink(path_.c_str());  // while still holding it
}

}  // namespace ckpt
