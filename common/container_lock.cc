#include "common/container_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "common/container_state.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/fs.h"
#include "common/log.h"

namespace ckpt {

namespace {

AfterLockHook g_after_lock = nullptr;
std::vector<int> g_lock_fds;  // of the locks this process holds

// Whether `fd` is still the file at `path` (a holder that finished may have removed it).
bool still_at(int fd, const std::filesystem::path& path) {
  struct stat held {}, named {};
  return ::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 &&
         held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

}  // namespace

void set_after_lock_hook(AfterLockHook hook) {
  g_after_lock = hook;
}

void close_inherited_container_locks() {
  for (int fd : g_lock_fds) ::close(fd);
  g_lock_fds.clear();
}

std::optional<std::string> container_lock_holder(const std::string& id) {
  validate_container_id(id);
  auto path = state_root() / ".locks" / id;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;  // no lock file: nobody holds it
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return std::nullopt;  // released with fd
  if (errno != EWOULDBLOCK) throw_errno("lock {}", path.string());
  return fs::trim(fs::try_read_file(path).value_or(""));
}

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
  g_lock_fds.push_back(fd_.get());
  if (!g_after_lock) return;
  try {
    g_after_lock(id);
  } catch (const std::exception& e) {
    spdlog::warn("container {}: undoing what a killed command left: {}", id, e.what());
  }
}

ContainerLock::~ContainerLock() {
  std::erase(g_lock_fds, fd_.get());
  if (!ContainerState::exists(id_)) ::unlink(path_.c_str());  // while still holding it
}

}  // namespace ckpt
