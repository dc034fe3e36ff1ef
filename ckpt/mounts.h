// The dump side of the mount namespace: the container init's mountinfo, classified (records/
// mounts.h), into kMounts; the contents of its tmpfs mounts (and, with --with-rootfs, of its
// rootfs) into kMountData streams. Runs while the container is frozen.
#pragma once

#include <sys/types.h>

#include <set>
#include <string>
#include <vector>

#include "ckpt/pages_index.h"
#include "common/image/image.h"
#include "common/proc/mountinfo.h"
#include "common/records/mounts.h"
#include "common/tree_pack.h"

namespace ckpt::dump {

// How restore can make each of `container`'s mounts again, parents before children. `host`: our own mountinfo, to tell
// the host's mounts (kept by a container without a rootfs) and bind mounts of host paths.
// Throws for a mount that cannot be made again (e.g. a block device mounted inside).
records::MountNamespace classify_mounts(const std::vector<proc::MountInfo>& container,
                                        const std::vector<proc::MountInfo>& host, bool has_rootfs);

// classify_mounts() for the container whose init is `init_pid`, its tmpfs contents (and rootfs
// contents when `with_rootfs`) packed into the image, the record written last. With `index` (an
// incremental dump), files unchanged since its parent image are stored without their data;
// with `rootfs_held` (a migration), so are the rootfs files its target holds unchanged.
void dump_mounts(pid_t init_pid, bool has_rootfs, bool with_rootfs, image::ImageWriter& image,
                 PageIndex* index = nullptr, const tree::FileStamps* rootfs_held = nullptr);

// The rootfs of the (running) container whose init is `init_pid` and where the files
// dump_mounts stores of it are; pack_rootfs() packs them into `out` as it does, with `options`
// (a migration's source stamps what it sends).
struct RootfsFiles {
  records::MountRecord mount;
  std::string top;                        // the mount's files, or its overlay upper layer
  std::set<std::string> mount_points;     // of the container, left out
  bool overlay_upper() const { return !mount.overlay_lower.empty(); }
};
RootfsFiles find_rootfs_files(pid_t init_pid);
// `held` without the files one of `pids` maps shared and writable: a write through such a
// mapping to a page already dirty changes no time of the file, so such files go again whole.
tree::FileStamps without_shared_writable_maps(const tree::FileStamps& held,
                                              const std::vector<pid_t>& pids);
tree::PackStats pack_rootfs(const RootfsFiles& rootfs, image::ImageWriter::Stream& out,
                            const tree::PackOptions& options);

// Per-mount flags (MS_RDONLY, ...) of mountinfo's mount options; filesystem options without
// rw/ro as a mount(2) data string.
uint64_t mount_flags(const std::string& mount_options);
std::string filesystem_options(const std::string& super_options);

}  // namespace ckpt::dump
