#include "common/ns/container_mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "common/ns/mount_ops.h"

namespace ckpt::ns {

namespace fsys = std::filesystem;

namespace {

// /dev as a small tmpfs with the usual device nodes bind-mounted from the host.
void setup_dev(const std::string& dev) {
  fsys::create_directories(dev);
  mount_or_throw("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"}) {
    std::string target = dev + "/" + node;
    int fd = ::open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
    if (fd < 0) throw_errno("create {}", target);
    ::close(fd);
    mount_or_throw((std::string("/dev/") + node).c_str(), target, nullptr, MS_BIND);
  }
  fsys::create_directories(dev + "/pts");
  fsys::create_directories(dev + "/shm");
  mount_or_throw("shm", dev + "/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  ::symlink("/proc/self/fd", (dev + "/fd").c_str());
}

void pivot_into(const std::string& rootfs) {
  if (!fsys::is_directory(rootfs)) fail("rootfs {} is not a directory", rootfs);
  mount_or_throw(rootfs.c_str(), rootfs, nullptr, MS_BIND | MS_REC);
  fsys::create_directories(rootfs + "/proc");
  mount_or_throw("proc", rootfs + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
  fsys::create_directories(rootfs + "/sys");
  mount_or_throw("sysfs", rootfs + "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY);
  setup_dev(rootfs + "/dev");
  if (::chdir(rootfs.c_str()) != 0) throw_errno("chdir({})", rootfs);
  if (::syscall(SYS_pivot_root, ".", ".") != 0) throw_errno("pivot_root({})", rootfs);
  if (::umount2(".", MNT_DETACH) != 0) throw_errno("umount old root");
  if (::chdir("/") != 0) throw_errno("chdir(/)");
}

// Before pivoting, while host paths are visible: detached copies of the bind sources.
std::vector<UniqueFd> clone_bind_sources(const std::vector<ExtraMount>& extra) {
  std::vector<UniqueFd> trees;
  for (const auto& m : extra)
    trees.push_back(m.kind == ExtraMount::kBind ? clone_mount_tree(m.source) : UniqueFd());
  return trees;
}

void add_extra_mounts(const std::vector<ExtraMount>& extra, const std::vector<UniqueFd>& trees) {
  for (size_t i = 0; i < extra.size(); ++i) {
    const auto& m = extra[i];
    if (m.kind == ExtraMount::kTmpfs) {
      make_mount_point(m.target, true);
      mount_or_throw("tmpfs", m.target, "tmpfs", MS_NOSUID | MS_NODEV, m.options.c_str());
      continue;
    }
    make_mount_point(m.target, m.directory);
    attach_mount_tree(trees[i].get(), m.target);
    set_bind_flags(m.target, m.read_only ? MS_RDONLY : 0);
  }
}

}  // namespace

void setup_container_mounts(const std::string& rootfs, const std::vector<ExtraMount>& extra) {
  mount_or_throw(nullptr, "/", nullptr, MS_REC | MS_PRIVATE);
  auto trees = clone_bind_sources(extra);
  if (!rootfs.empty()) {
    pivot_into(rootfs);
  } else {
    mount_or_throw("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
    // A sysfs of our own shows this network namespace's devices; not essential.
    ::mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, nullptr);
  }
  add_extra_mounts(extra, trees);
}

}  // namespace ckpt::ns

namespace ckpt::ns {

ExtraMount parse_tmpfs_spec(const std::string& spec) {
  ExtraMount m;
  auto colon = spec.find(':');
  m.target = spec.substr(0, colon);
  if (colon != std::string::npos) m.options = spec.substr(colon + 1);
  if (m.target.empty() || m.target[0] != '/')
    fail("--tmpfs {}: the mount point must be an absolute path", spec);
  return m;
}

ExtraMount parse_bind_spec(const std::string& spec) {
  ExtraMount m;
  m.kind = ExtraMount::kBind;
  auto first = spec.find(':');
  auto second = first == std::string::npos ? first : spec.find(':', first + 1);
  m.source = spec.substr(0, first);
  if (first != std::string::npos) m.target = spec.substr(first + 1, second - first - 1);
  if (second != std::string::npos) {
    if (spec.substr(second + 1) != "ro") fail("--bind {}: the only option is ro", spec);
    m.read_only = true;
  }
  if (m.target.empty() || m.target[0] != '/' || m.source.empty())
    fail("--bind {}: use HOST:CONTAINER[:ro] with an absolute CONTAINER path", spec);
  if (!fsys::exists(m.source)) fail("--bind {}: {} does not exist", spec, m.source);
  m.source = fsys::canonical(m.source);
  m.directory = fsys::is_directory(m.source);
  return m;
}

}  // namespace ckpt::ns
