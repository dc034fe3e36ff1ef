#include "common/rootfs_store.h"

#include <cstdlib>

#include "common/log.h"

namespace ckpt {

std::filesystem::path restored_rootfs_dir(const std::string& id) {
  const char* env = std::getenv("CKPT_ROOTFS_DIR");
  return std::filesystem::path(env && *env ? env : "/var/lib/ckpt/rootfs") / id;
}

void remove_restored_rootfs(const std::string& id, const std::string& rootfs) {
  if (rootfs.empty() || rootfs != restored_rootfs_dir(id).string()) return;
  std::error_code ec;
  std::filesystem::remove_all(rootfs, ec);
  if (ec) spdlog::warn("container {}: rootfs {} not removed: {}", id, rootfs, ec.message());
}

}  // namespace ckpt
