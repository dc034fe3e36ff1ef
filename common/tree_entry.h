// One file of a packed directory tree (see common/tree_pack.h). The stream of a packed tree is
//   ( u32 header size | header: TreeEntry (Boost binary) | data of its extents, in order,
//     unless data_in_parent )*
//   | u32 0
#pragma once

#include "common/records/fields.h"

#include <sys/stat.h>

#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::tree {

struct TreeEntry {
  std::string path;   // relative to the tree's top, "." for the top itself; parents come first
  uint32_t mode = 0;  // st_mode: type and permission bits
  uint32_t uid = 0, gid = 0;
  int64_t mtime_sec = 0, mtime_nsec = 0;
  uint64_t size = 0;              // regular files: st_size (holes are not stored)
  uint64_t rdev = 0;              // device nodes
  std::string link_target;        // symlinks
  std::string hardlink_to;        // a further name of an earlier entry's file: its path
  std::vector<uint64_t> extents;  // regular files: offset, length, offset, length, ...
  // Extended attributes, name -> value (overlayfs keeps opaque directories in trusted.overlay.*,
  // file capabilities live in security.capability). Version 2.
  std::vector<std::pair<std::string, std::string>> xattrs;
  // Last access (version 3); older images: atime_nsec UTIME_OMIT (the unpacking time).
  int64_t atime_sec = 0, atime_nsec = UTIME_OMIT;

  // Version 4: a regular file whose data is not in this stream but in the parent image's tree
  // (an incremental image): the parent has the same path with the same size, mtime and extents.
  bool data_in_parent = false;

  // The bytes of data that follow the header in the stream.
  uint64_t stored_data_size() const { return data_in_parent ? 0 : data_size(); }

  uint64_t data_size() const {
    uint64_t total = 0;
    for (size_t i = 1; i < extents.size(); i += 2) total += extents[i];
    return total;
  }

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    records::fields(ar, path, mode, uid, gid, mtime_sec, mtime_nsec, size, rdev, link_target,
                    hardlink_to, extents);
    if (version >= 2) records::fields(ar, xattrs);
    if (version >= 3) records::fields(ar, atime_sec, atime_nsec);
    if (version >= 4) records::fields(ar, data_in_parent);
  }
};

}  // namespace ckpt::tree

BOOST_CLASS_VERSION(ckpt::tree::TreeEntry, 4)
