#include <sys/mount.h>

#include "common/error.h"
#include "common/error_kind.h"
#include "common/log.h"
#include "common/overlay.h"
#include "common/proc/mountinfo.h"
#include "restore/mounts.h"

namespace ckpt::restore {

namespace fsys = std::filesystem;

RestoredRootfs::RestoredRootfs(const MountsRestore& mounts, const std::string& dumped,
                               const std::string& requested, const std::string& id,
                               const PrebuiltRootfs* prebuilt) {
  if (!mounts.has_rootfs_contents()) {
    if (prebuilt) fail("a rootfs was prebuilt at {}, but the image holds none", prebuilt->dir);
    path_ = requested.empty() ? dumped : fsys::absolute(requested).string();
    if (!path_.empty() && !fsys::is_directory(path_))
      fail(ErrorKind::kHostMissing,
           "rootfs {} is missing (dump with --with-rootfs to store it, or give restore --rootfs)",
           path_);
    return;
  }
  bool overlay = !mounts.rootfs()->overlay_lower.empty();
  auto own_dir = restored_rootfs_dir(id);
  if (!requested.empty())
    path_ = fsys::absolute(requested).string();
  else
    path_ = overlay ? (own_dir / "merged").string() : own_dir.string();
  if (prebuilt && prebuilt->dir != rootfs_unpack_dir(requested, id, overlay))
    fail("the rootfs prebuilt at {} is not where the restore unpacks it ({})", prebuilt->dir,
         rootfs_unpack_dir(requested, id, overlay));
  try {
    if (overlay)
      mount_overlay(mounts, own_dir.string(), prebuilt);
    else
      unpack(mounts, prebuilt);
  } catch (...) {
    undo();
    throw;
  }
}

RestoredRootfs::~RestoredRootfs() {
  undo();
}

void RestoredRootfs::unpack(const MountsRestore& mounts, const PrebuiltRootfs* prebuilt) {
  made_ = path_;
  mounts.unpack_rootfs(path_, prebuilt ? &prebuilt->paths : nullptr);
}

// The upper layer unpacked (or brought up to date) next to an empty work directory, the overlay
// mounted at path_.
void RestoredRootfs::mount_overlay(const MountsRestore& mounts, const std::string& layers_dir,
                                   const PrebuiltRootfs* prebuilt) {
  if (!prebuilt && fsys::exists(layers_dir))
    fail("restore the rootfs layers into {}: it exists", layers_dir);
  made_ = layers_dir;
  auto layers = overlay::parse_options(mounts.rootfs()->options);
  layers.lower = mounts.rootfs()->overlay_lower;
  layers.upper = layers_dir + "/upper";
  layers.work = layers_dir + "/work";
  mounts.unpack_rootfs(layers.upper, prebuilt ? &prebuilt->paths : nullptr);
  fsys::create_directories(layers.work);
  if (!fsys::exists(path_)) made_mount_point_ = path_;
  make_empty_rootfs_dir(path_);
  std::string data = overlay::mount_data(layers);
  if (::mount("overlay", path_.c_str(), "overlay", 0, data.c_str()) != 0)
    throw_errno("mount overlay at {} ({})", path_, data);
  mounted_ = true;
  spdlog::debug("mounts: rootfs overlay at {}: {}", path_, data);
}

void RestoredRootfs::undo() {
  if (mounted_ && ::umount2(path_.c_str(), MNT_DETACH) != 0)
    spdlog::error("unmounting the rootfs overlay {} failed: {}", path_, strerror(errno));
  mounted_ = false;
  std::error_code ec;
  if (!made_mount_point_.empty()) fsys::remove(made_mount_point_, ec);
  made_mount_point_.clear();
  if (made_.empty()) return;
  fsys::remove_all(made_, ec);
  if (ec) spdlog::error("removing the unpacked rootfs {} failed: {}", made_, ec.message());
  made_.clear();
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
