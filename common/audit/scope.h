// The audit scope of a container's process tree, the same way on both sides.
#pragma once

#include <map>
#include <string>

#include "common/audit/collect.h"
#include "common/records/tree.h"

namespace ckpt::audit {

// `host_pid_of`: pid in the container -> host pid, of every process (restored or dumped).
AuditScope scope_of_tree(const records::ProcessTree& tree, const std::map<pid_t, pid_t>& host_pid_of,
                         const std::string& cgroup_path, const std::string& state_dir);

}  // namespace ckpt::audit
