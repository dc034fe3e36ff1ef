// The container's mount namespace: its mounts in mount order (/proc/PID/mountinfo of its init),
// each classified by how restore makes it again. Contents of tmpfs mounts (and of the rootfs
// with `dump --with-rootfs`) are kMountData streams (id = MountRecord::id), see common/tree_pack.h.
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt::records {

enum class MountKind : uint32_t {
  kHost = 0,           // the host's own mount, seen through a container without a rootfs: kept
  kRootfs = 1,         // "/" of a container with a rootfs (pivoted into by restore)
  kHostBind = 2,       // a bind mount of a host path (host_path), found again or --mount-map'ed
  kContainerBind = 3,  // a bind mount of a path inside the container (host_path = that path)
  kTmpfs = 4,          // a tmpfs; its contents are stored
  kPseudo = 5,         // a fresh instance of proc, sysfs, devpts, mqueue, cgroup, cgroup2, ...
};

struct MountRecord {
  uint64_t id = 0;         // mount id at dump time
  uint64_t parent_id = 0;  // id of the mount it sits on
  MountKind kind = MountKind::kHost;
  std::string mount_point;  // in the container
  std::string fstype;
  std::string source;
  std::string root;           // part of the filesystem mounted here
  std::string host_path;      // kHostBind: path on the dumping host; kContainerBind: container path
  uint64_t flags = 0;         // MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_*ATIME
  std::string options;        // filesystem options without rw/ro (size=64m,mode=755)
  bool directory = true;      // a directory is mounted here (else a file)
  bool has_contents = false;  // a kMountData stream holds its files
  // An overlayfs rootfs stored with --with-rootfs: only its upper layer is in kMountData; these
  // are its lower layers (host paths, top first), mounted under it again on restore. Version 2.
  std::vector<std::string> overlay_lower;
  // Version 3: its propagation: the peer group of a shared mount (0: not shared), unbindable.
  // A slave's master (a host mount, or one of its peers) is not kept: it comes back private.
  uint32_t peer_group = 0;
  bool unbindable = false;

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, id, parent_id, kind, mount_point, fstype, source, root, host_path, flags, options,
           directory, has_contents);
    if (version >= 2) fields(ar, overlay_lower);
    if (version >= 3) fields(ar, peer_group, unbindable);
  }
};

struct MountNamespace {
  std::vector<MountRecord> mounts;  // in mount order: parents before children

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, mounts);
  }
};

// The filesystems of kPseudo mounts: fresh instances with no device behind them (restore refuses
// any other type in a kPseudo record: an image must not mount a host disk).
inline bool is_pseudo_fstype(std::string_view fstype) {
  for (std::string_view t : {"proc", "sysfs", "devpts", "mqueue", "cgroup", "cgroup2", "bpf",
                             "tracefs", "debugfs", "securityfs"})
    if (fstype == t) return true;
  return false;
}

// "tmpfs", "host-bind", ... for messages and `inspect`.
inline const char* mount_kind_name(MountKind kind) {
  switch (kind) {
    case MountKind::kHost:
      return "host";
    case MountKind::kRootfs:
      return "rootfs";
    case MountKind::kHostBind:
      return "host-bind";
    case MountKind::kContainerBind:
      return "container-bind";
    case MountKind::kTmpfs:
      return "tmpfs";
    case MountKind::kPseudo:
      return "pseudo";
  }
  return "?";
}

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::MountRecord, 3)
BOOST_CLASS_VERSION(ckpt::records::MountNamespace, 1)
