#include "common/rootfs_store.h"

#include <sys/mount.h>

#include <cstdlib>

#include "common/log.h"
#include "common/overlay.h"
#include "common/proc/mountinfo.h"

namespace ckpt {

namespace {

// Whether `rootfs` is an overlay whose upper layer is in `layers_dir` (mounted by restore).
bool is_our_overlay(const std::string& rootfs, const std::filesystem::path& layers_dir) {
  for (const auto& m : proc::read_mountinfo())
    if (m.mount_point == rootfs && m.fstype == "overlay" &&
        overlay::parse_options(m.super_options).upper == (layers_dir / "upper").string())
      return true;
  return false;
}

}  // namespace

std::filesystem::path restored_rootfs_dir(const std::string& id) {
  const char* env = std::getenv("CKPT_ROOTFS_DIR");
  return std::filesystem::path(env && *env ? env : "/var/lib/ckpt/rootfs") / id;
}

void remove_restored_rootfs(const std::string& id, const std::string& rootfs) {
  auto own = restored_rootfs_dir(id);
  if (rootfs.empty() || !std::filesystem::exists(own)) return;
  bool overlay = is_our_overlay(rootfs, own);
  if (!overlay && !proc::is_below(rootfs, own.string())) return;
  if (overlay && ::umount2(rootfs.c_str(), MNT_DETACH) != 0)
    spdlog::warn("container {}: rootfs overlay {} not unmounted: {}", id, rootfs, strerror(errno));
  std::error_code ec;
  std::filesystem::remove_all(own, ec);
  if (ec) spdlog::warn("container {}: rootfs {} not removed: {}", id, own.string(), ec.message());
}

}  // namespace ckpt
