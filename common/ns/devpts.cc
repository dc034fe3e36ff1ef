#include "common/ns/devpts.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"

namespace ckpt::ns {

namespace {

// Whether /dev/pts is already a devpts of this namespace's own, with no pty yet and /dev/ptmx
// leading to it: the one a restore's mount rebuild just made.
bool has_fresh_private_devpts() {
  struct stat ptmx {
  }, pts_ptmx{};
  if (::stat("/dev/ptmx", &ptmx) != 0 || ::stat("/dev/pts/ptmx", &pts_ptmx) != 0) return false;
  if (ptmx.st_dev != pts_ptmx.st_dev || ptmx.st_ino != pts_ptmx.st_ino) return false;
  for (const auto& entry : std::filesystem::directory_iterator(kDevptsDir))
    if (entry.path().filename() != "ptmx") return false;
  return true;
}

}  // namespace

void mount_private_devpts() {
  if (has_fresh_private_devpts()) return;
  std::filesystem::create_directories(kDevptsDir);
  if (::mount("devpts", kDevptsDir, "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=0620,gid=5") != 0)
    throw_errno("mount(devpts on {}, newinstance)", kDevptsDir);
  struct stat st {};
  if (::lstat("/dev/ptmx", &st) != 0) {
    if (::symlink("pts/ptmx", "/dev/ptmx") != 0) throw_errno("symlink(/dev/ptmx -> pts/ptmx)");
    return;
  }
  if (S_ISLNK(st.st_mode)) return;  // already pts/ptmx
  if (::mount("/dev/pts/ptmx", "/dev/ptmx", nullptr, MS_BIND, nullptr) != 0)
    throw_errno("bind-mount /dev/pts/ptmx on /dev/ptmx");
}

}  // namespace ckpt::ns
