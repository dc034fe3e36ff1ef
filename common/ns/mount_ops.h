// Mount primitives shared by `ckpt run` and restore, each throwing an Error that names the mount.
#pragma once

#include <cstdint>
#include <string>

#include "common/unique_fd.h"

namespace ckpt::ns {

// mount(2) with an error naming source, target and type.
void mount_or_throw(const char* source, const std::string& target, const char* type,
                    unsigned long flags, const char* data = nullptr);

// A detached copy of the mount at `path` (a bind mount to be), made while `path` is visible,
// e.g. before pivoting into a rootfs; attach_mount_tree() puts it in place later.
UniqueFd clone_mount_tree(const std::string& path);
void attach_mount_tree(int tree, const std::string& target);

// Per-mount flags of a bind mount (MS_RDONLY, MS_NOSUID, ...), set by a bind remount.
void set_bind_flags(const std::string& target, uint64_t flags);

// Creates `path` (and its parents) unless it exists: a directory, or an empty file to bind a
// file onto.
void make_mount_point(const std::string& path, bool directory);

}  // namespace ckpt::ns
