// The restore pipeline, each stage undone when a later one fails:
//   1. open        the image; every checksum verified before anything is created
//   2. preflight   the new id is free; [bridges/parents present]; [mapped files unchanged]
//   3. cgroups     the subtree with its limits
//   4. namespaces  [network rebuilt], then the root task in fresh pid/mnt/uts/ipc namespaces
//                  with the UTS state
//   5. processes   [the tree, its files, memory and registers]
//   6. resume      container state written, guards released
#pragma once

#include <string>
#include <vector>

namespace ckpt::restore {

struct RestoreOptions {
  std::string input;                 // path, or "-" for stdin
  std::string name;                  // new container id; empty: the id in the image
  std::vector<std::string> net_map;  // --net-map KIND:OLD=NEW (see netns::parse_net_map)
  bool tcp_close = false;            // --tcp-close: established TCP connections come back closed
};

void restore_container(const RestoreOptions& options);

}  // namespace ckpt::restore
