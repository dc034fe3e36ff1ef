// `ckpt flatten NEW -o FULL`: one full image equal to a chain of incremental images: the newest
// image's records, every process's pages gathered from the links that store them. The result
// keeps the newest image's identity (uuid and page index), so images made against it still find
// it as their parent.
#pragma once

#include <string>

namespace ckpt::backup {

struct FlattenOptions {
  std::string input;       // the newest image of the chain
  std::string output;      // path, or "-" for stdout
  std::string parent_dir;  // where the parents are (default: next to the input)
  int zstd_level = 1;
  std::string sign_key;    // as dump's --sign-key ("" = /etc/ckpt/image.key when it exists)
  std::string verify_key;  // as restore's --verify-key, for every image of the chain
};

// Holds one process's pages in memory at a time.
void flatten(const FlattenOptions& options);

}  // namespace ckpt::backup
