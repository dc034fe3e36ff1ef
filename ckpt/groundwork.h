// The records of the restore's groundwork (restore/groundwork.h), read from a running container:
// a migration's source sends them before the pre-copy rounds so that the target builds its cgroup
// subtree and network namespace while the rounds run. The final image holds the same records,
// read again in the freeze: the target compares them with these.
#pragma once

#include "common/container_state.h"
#include "common/records/groundwork.h"

namespace ckpt::dump {

// The configuration, cgroup subtree (limits; no members) and network namespace of the running
// container `state`.
records::GroundworkRecords read_groundwork_records(const ContainerState& state);

}  // namespace ckpt::dump
