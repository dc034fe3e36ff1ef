// Directory trees (tmpfs contents, --with-rootfs) along a chain of incremental images: an
// incremental image stores the files that changed, and marks the others data_in_parent
// (common/tree_entry.h); their data comes from the parent's tree of the same mount.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/chain/image_chain.h"
#include "common/image/image.h"
#include "common/records/mounts.h"

namespace ckpt::chain {

// The id of the stored tree of the mount at `m`'s mount point (and of its kind) in `image`.
std::optional<uint64_t> same_mount_tree(const image::ImageReader& image,
                                        const records::MountRecord& m);

// Unpacks the tree of mount `m` of `image` below `top`, the data of files kept in parents from
// `chain` (whose newest image is `image`; null: `image` alone, which must hold every file).
// With `held`, over a tree unpacked there before (tree::TreeUnpacker).
void unpack_mount_tree(const image::ImageReader& image, const ImageChain* chain,
                       const records::MountRecord& m, const std::string& top,
                       const std::vector<std::string>* held = nullptr);

}  // namespace ckpt::chain
