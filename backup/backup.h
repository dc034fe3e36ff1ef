// `ckpt backup ID --dir DIR`: a --leave-running dump of the container into
// DIR/ID-YYYYmmddTHHMMSSZ.ckpt, incremental against the newest image of ID in DIR unless its
// chain is --full-every long already, then the old images pruned by the keep policy (an image a
// kept one still needs is flattened into it first). One backup per DIR and ID at a time
// (backup/lock.h); leftovers of a killed one are removed by the next.
#pragma once

#include <string>
#include <vector>

#include "backup/naming.h"
#include "backup/policy.h"

namespace ckpt::backup {

struct BackupOptions {
  std::string container_id;
  std::string dir;
  KeepPolicy keep;
  int full_every = 16;  // chain length (full image included) after which a full image is made
  bool with_rootfs = false;
  bool tcp_established = false;
  int zstd_level = 1;
  std::string sign_key;  // as dump's --sign-key ("" = /etc/ckpt/image.key when it exists)
};

struct BackupResult {
  std::string image;
  std::string parent;  // empty: a full image
  uint64_t bytes = 0;
  double seconds = 0;
  double frozen_ms = 0;
  std::vector<std::string> pruned;     // images removed
  std::vector<std::string> flattened;  // kept images made full so that their parents could go
};

BackupResult run_backup(const BackupOptions& options);

// Prunes the images of `id` in `dir` by `policy`; `newest` (the image just made) is kept.
void prune(const std::string& dir, const std::string& id, const KeepPolicy& policy,
           BackupResult& result);

// One line per image of `id` (every container if empty) in `dir`, for `backup --list`.
struct ListedImage {
  BackupImage image;
  std::string parent;       // its parent's name, empty for a full image
  size_t chain_length = 1;  // images needed to restore it, itself included
  uint64_t own_bytes = 0;
  uint64_t total_bytes = 0;  // of the whole chain
  std::string problem;       // why it cannot be restored (missing parent, ...), else empty
};
std::vector<ListedImage> list_backups(const std::string& dir, const std::string& id);

}  // namespace ckpt::backup
