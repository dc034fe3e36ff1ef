// Packing a directory tree (a tmpfs, a rootfs) into an image stream and unpacking it again:
// regular files (sparse ones without their holes), directories, symlinks, device nodes and fifos,
// with modes, owners and mtimes; hard links are kept as links. The walk stays on the top's
// filesystem and leaves out what `skip` names (mount points of other mounts).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/image/image.h"
#include "common/tree_entry.h"
#include "common/unique_fd.h"

namespace ckpt::tree {

struct PackStats {
  uint64_t entries = 0;
  uint64_t data_bytes = 0;
  uint64_t files_in_parent = 0;  // regular files stored without their data (unchanged)
};

// The regular files of a packed tree, by path: what an incremental dump compares against.
using FileIndex = std::map<std::string, TreeEntry>;

// A regular file as a pack found it before it read its data: a migration's source packs the
// rootfs while the container runs, and its final image leaves out the files still so.
struct FileStamp {
  uint64_t ino = 0, size = 0;
  int64_t mtime_sec = 0, mtime_nsec = 0, ctime_sec = 0, ctime_nsec = 0;
  std::vector<uint64_t> extents;
  bool operator==(const FileStamp&) const = default;
};
using FileStamps = std::map<std::string, FileStamp>;

// A file changed less than this before a pack began is not stamped: a later change could fall
// into the same tick of the filesystem's coarse clock and leave its ctime as it was.
inline constexpr int64_t kStampMarginNs = 1'000'000'000;

struct PackOptions {
  // The same tree in the parent image: a regular file found there with the same size, mtime and
  // extents is stored without its data (data_in_parent).
  const FileIndex* parent = nullptr;
  // Files the reader holds already (a migration's prebuilt rootfs): one with the same inode,
  // size, mtime, ctime and extents as stamped is stored without its data (data_in_parent).
  const FileStamps* held = nullptr;
  // Filled with the regular files packed with their data whose ctime is older than the pack's
  // start by `stamp_margin_ns`: a ctime still the same later means the same contents.
  FileStamps* stamps = nullptr;
  int64_t stamp_margin_ns = kStampMarginNs;
  // An fd on the open file description of a regular file that an open would disturb (a write
  // lease, which any open breaks), to be read through instead (its offset and flags are given
  // back); an invalid one for other files, which are opened.
  std::function<UniqueFd(const struct stat&)> held_open = nullptr;
};

// `skip(rel)`: true for a path (relative, "a/b") not to store, nor to descend into.
PackStats pack_tree(const std::string& top, const std::function<bool(const std::string&)>& skip,
                    image::ImageWriter::Stream& out, const PackOptions& options = {});

// The regular files of stream (type, id) of `image`, without their data.
FileIndex read_file_index(const image::ImageReader& image, image::SectionType type, uint64_t id);

// Recreates a packed tree below an existing directory: fed the stream chunk by chunk (as
// ImageReader::read_stream gives it), finish() then sets directory modes and times. Existing
// files are replaced, existing directories kept.
// With `held` (the paths an earlier unpack made below `top`, in stream order: a migration's
// prebuilt rootfs), the tree is brought up to date in place: a regular file stored
// data_in_parent that is there is kept as it is, whatever else is in an entry's way is removed,
// and finish() removes the paths of `held` the stream does not name.
class TreeUnpacker {
 public:
  explicit TreeUnpacker(const std::string& top, const std::vector<std::string>* held = nullptr);
  ~TreeUnpacker();
  void feed(std::span<const std::byte> chunk);
  void finish();
  // Regular files whose data is in the parent image (see unpack_tree).
  const std::vector<std::string>& data_in_parent() const;
  // Every path the stream named ("." first), in its order.
  const std::vector<std::string>& paths() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Unpacks the stream (type, id) of `image` below `top` (over `held`, as TreeUnpacker). Returns
// the paths of the regular files whose data is in the parent image (made with their size, mode
// and times, no data yet).
std::vector<std::string> unpack_tree(const image::ImageReader& image, image::SectionType type,
                                     uint64_t id, const std::string& top,
                                     const std::vector<std::string>* held = nullptr);

// Writes into the files `needed` below `top` (made by unpack_tree) the data that stream
// (type, id) of `image` holds for them, and sets their mtime again; returns the paths it does
// not hold (their data is further up the chain).
std::vector<std::string> fill_tree_data(const image::ImageReader& image, image::SectionType type,
                                        uint64_t id, const std::string& top,
                                        const std::vector<std::string>& needed);

}  // namespace ckpt::tree
