// The audit's dump side: what /proc shows of every process of the frozen, seized container,
// into section kAudit, for `ckpt restore --check` to compare the restored copy with.
#pragma once

#include "common/container_state.h"
#include "common/image/image.h"
#include "common/records/tree.h"

namespace ckpt::dump {

// Reads only /proc (and /proc/sys/net from a helper thread in the container's netns).
void write_audit(const records::ProcessTree& tree, const ContainerState& state,
                 image::ImageWriter& image);

}  // namespace ckpt::dump
