// The rootfs of a migration with --with-rootfs, sent while the container runs (protocol.h:
// kRootfsBegin, kRootfs*, kRootfsEnd, answered by kRootfsBuilt): the source packs it as
// `dump --with-rootfs` stores it (ckpt/mounts.h pack_rootfs) and stamps each file it sent
// (common/tree_pack.h FileStamp); the target unpacks it where its restore will want the rootfs
// (restore/mounts.h PrebuiltRootfs). The final image then stores only the files changed since
// (another inode, size, mtime, ctime or extents), and the restore brings the prebuilt tree up to
// date in place. A target whose migration fails removes the tree with the rest.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/tree_pack.h"
#include "migrate/protocol.h"
#include "restore/mounts.h"

namespace ckpt::migrate {

struct SentRootfs {
  tree::FileStamps stamps;  // the files the target holds with their data, as they were read
  uint64_t bytes = 0;       // of the packed tree
  uint64_t entries = 0;
  double seconds = 0;  // packing and sending it
};

// Sends the rootfs of the running container whose init is `init_pid`.
SentRootfs send_rootfs(Channel& channel, pid_t init_pid);

// The target's side: the tree unpacked from the frames as they come.
class RootfsPrebuild {
 public:
  RootfsPrebuild() = default;
  ~RootfsPrebuild();  // removes what it made, unless release()d
  RootfsPrebuild(const RootfsPrebuild&) = delete;
  RootfsPrebuild& operator=(const RootfsPrebuild&) = delete;

  // kRootfsBegin: the tree goes to restore::rootfs_unpack_dir(requested, id, ...), which must
  // not exist or be an empty directory.
  void begin(std::span<const std::byte> payload, const std::string& requested,
             const std::string& id);
  void add(std::span<const std::byte> payload);  // kRootfs
  // kRootfsEnd: the tree is complete; `channel` hears kRootfsBuilt.
  void end(Channel& channel);

  // The unpacked tree for the restore; null unless end() came.
  const restore::PrebuiltRootfs* prebuilt() const { return done_ ? &rootfs_ : nullptr; }
  // The restore committed the rootfs: it stays.
  void release() { made_.clear(); }

 private:
  restore::PrebuiltRootfs rootfs_;
  std::string made_;  // removed by the destructor
  std::unique_ptr<tree::TreeUnpacker> unpacker_;
  std::chrono::steady_clock::time_point start_;
  bool done_ = false;
};

}  // namespace ckpt::migrate
