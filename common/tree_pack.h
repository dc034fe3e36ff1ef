// Packing a directory tree (a tmpfs, a rootfs) into an image stream and unpacking it again:
// regular files (sparse ones without their holes), directories, symlinks, device nodes and fifos,
// with modes, owners and mtimes; hard links are kept as links. The walk stays on the top's
// filesystem and leaves out what `skip` names (mount points of other mounts).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "common/image/image.h"

namespace ckpt::tree {

struct PackStats {
  uint64_t entries = 0;
  uint64_t data_bytes = 0;
};

// `skip(rel)`: true for a path (relative, "a/b") not to store, nor to descend into.
PackStats pack_tree(const std::string& top, const std::function<bool(const std::string&)>& skip,
                    image::ImageWriter::Stream& out);

// Recreates a packed tree below an existing directory: fed the stream chunk by chunk (as
// ImageReader::read_stream gives it), finish() then sets directory modes and times. Existing
// files are replaced, existing directories kept.
class TreeUnpacker {
 public:
  explicit TreeUnpacker(const std::string& top);
  ~TreeUnpacker();
  void feed(std::span<const std::byte> chunk);
  void finish();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Unpacks the stream (type, id) of `image` below `top`.
void unpack_tree(const image::ImageReader& image, image::SectionType type, uint64_t id,
                 const std::string& top);

}  // namespace ckpt::tree
