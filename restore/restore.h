// The restore pipeline, each stage undone when a later one fails:
//   1. open        the image; every checksum verified before anything is created
//   2. preflight   the new id is free; [bridges/parents present]; [mapped files unchanged]
//   3. cgroups     the subtree with its limits
//   4. namespaces  [network rebuilt], [time offsets], [rootfs unpacked], then the root task in
//                  fresh pid/mnt/uts/ipc/time namespaces with the UTS state and the mounts
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
  std::vector<std::string> mount_map;  // --mount-map OLD=NEW: host paths of bind mounts
  std::string parent_dir;  // where the parents of an incremental image are (default: next to it)
  std::string rootfs;  // where the rootfs is: stored rootfs unpacked here (default
                       // /var/lib/ckpt/rootfs/ID), else used instead of the dumped path
};

void restore_container(const RestoreOptions& options);

}  // namespace ckpt::restore
