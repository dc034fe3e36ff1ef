#include "common/ns/container_mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"

namespace ckpt::ns {

namespace fsys = std::filesystem;

namespace {

void do_mount(const char* source, const std::string& target, const char* type, unsigned long flags,
              const char* data = nullptr) {
  if (::mount(source, target.c_str(), type, flags, data) != 0)
    throw_errno("mount({} on {}, type {})", source ? source : "none", target, type ? type : "bind");
}

// /dev as a small tmpfs with the usual device nodes bind-mounted from the host.
void setup_dev(const std::string& dev) {
  fsys::create_directories(dev);
  do_mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"}) {
    std::string target = dev + "/" + node;
    int fd = ::open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
    if (fd < 0) throw_errno("create {}", target);
    ::close(fd);
    do_mount((std::string("/dev/") + node).c_str(), target, nullptr, MS_BIND);
  }
  fsys::create_directories(dev + "/pts");
  fsys::create_directories(dev + "/shm");
  do_mount("shm", dev + "/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  ::symlink("/proc/self/fd", (dev + "/fd").c_str());
}

void pivot_into(const std::string& rootfs) {
  if (!fsys::is_directory(rootfs)) fail("rootfs {} is not a directory", rootfs);
  do_mount(rootfs.c_str(), rootfs, nullptr, MS_BIND | MS_REC);
  fsys::create_directories(rootfs + "/proc");
  do_mount("proc", rootfs + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
  fsys::create_directories(rootfs + "/sys");
  do_mount("sysfs", rootfs + "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY);
  setup_dev(rootfs + "/dev");
  if (::chdir(rootfs.c_str()) != 0) throw_errno("chdir({})", rootfs);
  if (::syscall(SYS_pivot_root, ".", ".") != 0) throw_errno("pivot_root({})", rootfs);
  if (::umount2(".", MNT_DETACH) != 0) throw_errno("umount old root");
  if (::chdir("/") != 0) throw_errno("chdir(/)");
}

}  // namespace

void setup_container_mounts(const std::string& rootfs) {
  do_mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE);
  if (!rootfs.empty()) return pivot_into(rootfs);
  do_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
  // A sysfs of our own shows this network namespace's devices; not essential.
  ::mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, nullptr);
}

}  // namespace ckpt::ns
