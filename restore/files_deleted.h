// Files that were deleted while open, made again from their stored contents: each file once
// (per data_id), under its old name when that is free (so the process sees "NAME (deleted)"),
// else under a temporary name next to it (in its directory made again when that was removed too:
// removed again at the end). Names are unlinked when this object goes away, after
// every description has been opened.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/records/files.h"
#include "common/unique_fd.h"
#include "restore/files_data.h"

namespace ckpt::restore {

class DeletedFiles {
 public:
  explicit DeletedFiles(ReadFileData read_data) : read_data_(std::move(read_data)) {}
  ~DeletedFiles();
  DeletedFiles(const DeletedFiles&) = delete;
  DeletedFiles& operator=(const DeletedFiles&) = delete;

  // A new description of the recreated file of `d`, with its flags and offset.
  UniqueFd open_description(const records::FileDescription& d);
  // The names and directories made for the files removed again (also at the end), once every
  // description of them is open: before the inotify instances are made, whose watches would
  // otherwise queue the removals (IN_ATTRIB, IN_DELETE).
  void remove_names();

 private:
  const std::string& recreate(const records::FileDescription& d);
  // A file opened with O_TMPFILE and never named is made the same way in its directory, so that
  // its description has the same flags; it is linked to a name only while the restore opens its
  // other descriptions (as a recreated deleted file is).
  UniqueFd create_unnamed(const records::FileDescription& d);
  // Its data, size, owner, mode and times as dumped.
  void fill(int fd, const records::FileDescription& d, const std::string& name) const;

  ReadFileData read_data_;
  std::map<uint64_t, std::string> names_;  // by data_id; unlinked at the end
  std::set<uint64_t> unlinkable_;           // by data_id: made with O_TMPFILE | O_EXCL
  std::vector<std::string> made_dirs_;     // removed directories made again for them; removed too
};

}  // namespace ckpt::restore
