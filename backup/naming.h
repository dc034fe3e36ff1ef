// The images of `ckpt backup` in its directory: DIR/ID-YYYYmmddTHHMMSSZ.ckpt (UTC), so that
// `ls` sorts them by time and people see when each was made; temp files of an image being
// written are DIR/ID-...ckpt.tmp.XXXXXX.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ckpt::backup {

struct BackupImage {
  std::string id;    // container id
  std::string path;  // DIR/name
  std::string name;
  int64_t time = 0;  // from the name, seconds since the epoch
};

std::string image_name(const std::string& id, int64_t unix_time);
// The container id and time of an image name, if it is one.
std::optional<BackupImage> parse_image_name(const std::string& name);

// The images of container `id` in `dir` (of every container if `id` is empty), oldest first.
std::vector<BackupImage> list_images(const std::string& dir, const std::string& id);
// Temp files of images of `id` in `dir`, left by a backup that was killed.
std::vector<std::string> leftover_files(const std::string& dir, const std::string& id);

}  // namespace ckpt::backup
