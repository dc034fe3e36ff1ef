// The audit's dump side: what /proc shows of every process of the frozen, seized container,
// into section kAudit, for `ckpt restore --check` to compare the restored copy with.
#pragma once

#include <map>
#include <vector>

#include "common/container_state.h"
#include "common/image/image.h"
#include "common/proc/fdinfo.h"
#include "common/proc/maps.h"
#include "common/records/net.h"
#include "common/records/tree.h"

namespace ckpt::dump {

// Read before the freeze: what spares the window reading smaps again (see AuditScope).
using SmapsBefore = std::map<pid_t, std::vector<proc::MapEntry>>;
SmapsBefore read_smaps_before_freeze(const std::vector<pid_t>& pids);

// Reads only /proc (and unix sockets' peers from a child in the container's pid namespace);
// the net sysctls are those of `net`, read in the same freeze.
// `fdinfo_before`: the fdinfo of the fds whose text the dump changed (ckpt/event_files_muted).
void write_audit(const records::ProcessTree& tree, const ContainerState& state,
                 SmapsBefore smaps_before, const records::NetNamespace& net,
                 const proc::FdinfoTexts& fdinfo_before, image::ImageWriter& image);

}  // namespace ckpt::dump
