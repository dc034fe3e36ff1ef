#include "common/ns/devpts.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"

namespace ckpt::ns {

void mount_private_devpts() {
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
