#pragma once

#include "common/cgroup/container_cgroup.h"
#include "common/records/cgroup.h"
#include "common/records/tree.h"

namespace ckpt::dump {

// The container's cgroup subtree: each nested cgroup with its own limits and the processes in
// it (as pids inside the container, per hierarchy).
records::CgroupTree collect_cgroups(const cgroup::ContainerCgroup& cgroup,
                                    const records::ProcessTree& tree);

}  // namespace ckpt::dump
