#pragma once

#include "common/cgroup/container_cgroup.h"

namespace ckpt::cgroup {

// SIGKILLs every process of the cgroup subtree (frozen meanwhile, so that nothing forks away)
// and waits until the subtree is empty. Throws if processes survive 10 s.
void kill_all_processes(const ContainerCgroup& cgroup);

}  // namespace ckpt::cgroup
