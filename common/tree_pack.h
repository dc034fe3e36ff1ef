// Packing a directory tree (a tmpfs, a rootfs) into an image stream and unpacking it again:
// regular files (sparse ones without their holes), directories, symlinks, device nodes and fifos,
// with modes, owners and mtimes; hard links are kept as links. The walk stays on the top's
// filesystem and leaves out what `skip` names (mount points of other mounts).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/image/image.h"
#include "common/tree_entry.h"

namespace ckpt::tree {

struct PackStats {
  uint64_t entries = 0;
  uint64_t data_bytes = 0;
  uint64_t files_in_parent = 0;  // regular files stored without their data (unchanged)
};

// The regular files of a packed tree, by path: what an incremental dump compares against.
using FileIndex = std::map<std::string, TreeEntry>;

// `skip(rel)`: true for a path (relative, "a/b") not to store, nor to descend into. With
// `parent` (the same tree in the parent image), a regular file found there with the same size,
// mtime and extents is stored without its data (data_in_parent).
PackStats pack_tree(const std::string& top, const std::function<bool(const std::string&)>& skip,
                    image::ImageWriter::Stream& out, const FileIndex* parent = nullptr);

// The regular files of stream (type, id) of `image`, without their data.
FileIndex read_file_index(const image::ImageReader& image, image::SectionType type, uint64_t id);

// Recreates a packed tree below an existing directory: fed the stream chunk by chunk (as
// ImageReader::read_stream gives it), finish() then sets directory modes and times. Existing
// files are replaced, existing directories kept.
class TreeUnpacker {
 public:
  explicit TreeUnpacker(const std::string& top);
  ~TreeUnpacker();
  void feed(std::span<const std::byte> chunk);
  void finish();
  // Regular files whose data is in the parent image (see unpack_tree).
  const std::vector<std::string>& data_in_parent() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Unpacks the stream (type, id) of `image` below `top`. Returns the paths of the regular files
// whose data is in the parent image (made with their size, mode and times, no data yet).
std::vector<std::string> unpack_tree(const image::ImageReader& image, image::SectionType type,
                                     uint64_t id, const std::string& top);

// Writes into the files `needed` below `top` (made by unpack_tree) the data that stream
// (type, id) of `image` holds for them, and sets their mtime again; returns the paths it does
// not hold (their data is further up the chain).
std::vector<std::string> fill_tree_data(const image::ImageReader& image, image::SectionType type,
                                        uint64_t id, const std::string& top,
                                        const std::vector<std::string>& needed);

}  // namespace ckpt::tree
