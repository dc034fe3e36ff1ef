// The mount and time records as JSON (for `ckpt inspect --json`): every field under its own name,
// mount kinds by name ("tmpfs", "host-bind", ...).
#pragma once

#include <nlohmann/json.hpp>

#include "common/records/mounts.h"
#include "common/records/time.h"

namespace ckpt::records {

NLOHMANN_JSON_SERIALIZE_ENUM(MountKind, {{MountKind::kHost, "host"},
                                         {MountKind::kRootfs, "rootfs"},
                                         {MountKind::kHostBind, "host-bind"},
                                         {MountKind::kContainerBind, "container-bind"},
                                         {MountKind::kTmpfs, "tmpfs"},
                                         {MountKind::kPseudo, "pseudo"}})
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MountRecord, id, parent_id, kind, mount_point, fstype, source,
                                   root, host_path, flags, options, directory, has_contents)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MountNamespace, mounts)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ClockValue, sec, nsec)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TimeNamespace, monotonic, boottime)

}  // namespace ckpt::records
