#include "common/error.h"
#include "common/log.h"
#include "common/proc/mountinfo.h"
#include "restore/mounts.h"

namespace ckpt::restore {

namespace fsys = std::filesystem;

RestoredRootfs::RestoredRootfs(const MountsRestore& mounts, const std::string& dumped,
                               const std::string& requested, const std::string& id) {
  if (!mounts.has_rootfs_contents()) {
    path_ = requested.empty() ? dumped : fsys::absolute(requested).string();
    if (!path_.empty() && !fsys::is_directory(path_))
      fail("rootfs {} is missing (dump with --with-rootfs to store it, or give restore --rootfs)",
           path_);
    return;
  }
  path_ = requested.empty() ? restored_rootfs_dir(id).string() : fsys::absolute(requested).string();
  unpacked_ = true;
  try {
    mounts.unpack_rootfs(path_);
  } catch (...) {
    std::error_code ignored;
    fsys::remove_all(path_, ignored);
    throw;
  }
}

RestoredRootfs::~RestoredRootfs() {
  if (!unpacked_) return;
  std::error_code ec;
  fsys::remove_all(path_, ec);
  if (ec) spdlog::error("removing the unpacked rootfs {} failed: {}", path_, ec.message());
}

}  // namespace ckpt::restore

namespace ckpt::restore {

bool recreated_from_image(const image::ImageReader& image, const std::string& path) {
  if (!image.has(image::SectionType::kMounts, 0)) return false;
  auto ns = image.get<records::MountNamespace>(image::SectionType::kMounts, 0);
  const records::MountRecord* holder = nullptr;  // the last mount at the deepest mount point
  for (const auto& m : ns.mounts)
    if (proc::is_below(path, m.mount_point) &&
        (!holder || m.mount_point.size() >= holder->mount_point.size()))
      holder = &m;
  return holder && holder->has_contents;
}

}  // namespace ckpt::restore
