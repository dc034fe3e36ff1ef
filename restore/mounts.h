// The restore side of the mount namespace. In the tracer, before anything is made, the image's
// mounts are checked: every host path bound into the container exists (after --mount-map).
// The rootfs stored with `dump --with-rootfs` is unpacked into a new directory. In the root task,
// host bind sources are taken before the standard mounts (ns::setup_container_mounts) pivot into
// the rootfs; afterwards every mount the standard ones do not provide is made again in dump
// order, and tmpfs contents are unpacked, before any file is opened.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/chain/image_chain.h"
#include "common/image/image.h"
#include "common/records/mounts.h"
#include "common/rootfs_store.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

// --mount-map OLD=NEW entries: a host path below OLD is taken from below NEW.
class MountMap {
 public:
  explicit MountMap(const std::vector<std::string>& specs);
  std::string map(const std::string& host_path) const;

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

// Creates `dir` for a restored rootfs; refuses one that exists and is not empty.
void make_empty_rootfs_dir(const std::string& dir);

// Where a stored rootfs is unpacked: `requested` (restore --rootfs), else restored_rootfs_dir(id);
// one stored as an overlay's upper layer (`overlay_upper`) in restored_rootfs_dir(id)/upper.
std::string rootfs_unpack_dir(const std::string& requested, const std::string& id,
                              bool overlay_upper);

// A migration's rootfs, unpacked at rootfs_unpack_dir() while the container still ran on the
// source: the restore brings it up to date from the final image instead of unpacking it all.
struct PrebuiltRootfs {
  std::string dir;
  std::vector<std::string> paths;  // every path unpacked below dir, in stream order
};

class MountsRestore {
 public:
  // Reads kMounts (none: nothing to do) and refuses, naming each, host paths that are missing,
  // and any record whose paths are not plain absolute paths (no "..") or whose kind, type or
  // contents do not go together (see check_mount_record). With `chain` (whose newest image is
  // `image`), files an incremental image keeps in its parents are taken from there.
  MountsRestore(const image::ImageReader& image, const MountMap& map,
                const chain::ImageChain* chain = nullptr);

  // Whether the image holds the rootfs contents (dump --with-rootfs).
  bool has_rootfs_contents() const;
  // The rootfs mount; null for a container without one. Its overlay_lower are paths on this
  // host (after --mount-map), checked to exist.
  const records::MountRecord* rootfs() const;
  // Unpacks the stored rootfs (or its overlay upper layer) into `dir` (created; must not exist or
  // be empty), or over the tree `held` there (paths of a PrebuiltRootfs).
  void unpack_rootfs(const std::string& dir, const std::vector<std::string>* held = nullptr) const;

  // In the root task, before ns::setup_container_mounts: detached copies of host bind sources.
  void take_host_binds();
  // In the root task, after the standard mounts (`pivoted`: into a rootfs, with its own /dev):
  // the other mounts in order, tmpfs filled.
  void rebuild(bool pivoted) const;

 private:
  void make_mount(const records::MountRecord& m) const;
  void set_propagation(const records::MountRecord& m) const;
  void find_overlay_lower(const MountMap& map);

  const image::ImageReader& image_;
  const chain::ImageChain* chain_;
  records::MountNamespace ns_;
  std::map<uint64_t, std::string> host_sources_;  // kHostBind record id -> path on this host
  std::map<uint64_t, UniqueFd> trees_;            // kHostBind record id -> detached tree
};

}  // namespace ckpt::restore

namespace ckpt::restore {

// The rootfs of the restored container: with a stored rootfs, a new directory it is unpacked
// into (`requested`, or restored_rootfs_dir(id)), removed again unless commit()ted; else
// `requested` or, when empty, the dumped path ("" for a container without rootfs).
// A rootfs stored as its overlay upper layer is unpacked into restored_rootfs_dir(id)/upper and
// mounted as an overlay on its lower layers at `requested` or restored_rootfs_dir(id)/merged.
// With `prebuilt` (a migration's), the stored rootfs is brought up to date there, and removed
// with the rest if the restore fails.
// Whether the file at container path `path` is one restore makes again from the image's stored
// contents (on a tmpfs, or on a rootfs stored with --with-rootfs): same data, a new inode.
bool recreated_from_image(const image::ImageReader& image, const std::string& path);

class RestoredRootfs {
 public:
  RestoredRootfs(const MountsRestore& mounts, const std::string& dumped,
                 const std::string& requested, const std::string& id,
                 const PrebuiltRootfs* prebuilt = nullptr);
  ~RestoredRootfs();
  RestoredRootfs(const RestoredRootfs&) = delete;
  RestoredRootfs& operator=(const RestoredRootfs&) = delete;

  const std::string& path() const { return path_; }
  void commit() { made_.clear(), made_mount_point_.clear(), mounted_ = false; }

 private:
  void unpack(const MountsRestore& mounts, const PrebuiltRootfs* prebuilt);
  void mount_overlay(const MountsRestore& mounts, const std::string& layers_dir,
                     const PrebuiltRootfs* prebuilt);
  void undo();

  std::string path_;
  std::string made_;              // the directory made here, removed if the restore fails
  std::string made_mount_point_;  // the overlay's mount point, when made here
  bool mounted_ = false;  // path_ is an overlay mounted here, unmounted if the restore fails
};

}  // namespace ckpt::restore
