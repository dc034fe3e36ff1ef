#include "common/ns/mount_ops.h"

#include <fcntl.h>
#include <sys/mount.h>

#include <filesystem>

#include "common/error.h"

namespace ckpt::ns {

void mount_or_throw(const char* source, const std::string& target, const char* type,
                    unsigned long flags, const char* data) {
  if (::mount(source, target.c_str(), type, flags, data) != 0)
    throw_errno("mount({} on {}, type {})", source ? source : "none", target, type ? type : "bind");
}

UniqueFd clone_mount_tree(const std::string& path) {
  UniqueFd tree(::open_tree(AT_FDCWD, path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree) throw_errno("bind mount source {}", path);
  // A clone of a shared mount would share mount events with the host's: make it private.
  struct mount_attr attr {};
  attr.propagation = MS_PRIVATE;
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
    throw_errno("make the bind mount of {} private", path);
  return tree;
}

void attach_mount_tree(int tree, const std::string& target) {
  if (::move_mount(tree, "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    throw_errno("bind mount on {}", target);
}

void set_bind_flags(const std::string& target, uint64_t flags) {
  if (flags == 0) return;
  if (::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | flags, nullptr) != 0)
    throw_errno("remount bind mount {} with flags {:#x}", target, flags);
}

void make_mount_point(const std::string& path, bool directory) {
  namespace fsys = std::filesystem;
  if (fsys::exists(fsys::symlink_status(path))) return;
  if (directory) {
    fsys::create_directories(path);
    return;
  }
  fsys::create_directories(fsys::path(path).parent_path());
  UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (!file) throw_errno("create mount point {}", path);
}

}  // namespace ckpt::ns
