// Where `ckpt restore` unpacks a rootfs stored with `dump --with-rootfs` when not given
// --rootfs: /var/lib/ckpt/rootfs/ID (CKPT_ROOTFS_DIR overrides /var/lib/ckpt/rootfs). Such a
// directory belongs to the container and goes with it (`ckpt rm`).
#pragma once

#include <filesystem>
#include <string>

namespace ckpt {

std::filesystem::path restored_rootfs_dir(const std::string& id);
// Removes `rootfs` when it is restored_rootfs_dir(id); when it is an overlay restore mounted
// with its layers in restored_rootfs_dir(id), unmounts it and removes the layers (a mount point
// given with restore --rootfs stays). Any other directory is the user's.
void remove_restored_rootfs(const std::string& id, const std::string& rootfs);

}  // namespace ckpt
