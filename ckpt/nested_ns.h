// A process of the container in namespaces of its own (made by unshare or a nested container
// runtime) would come back in its init's namespaces: such a tree is refused, naming the process
// and the namespace, before any process is seized (the container thaws and runs on).
#pragma once

#include <sys/types.h>

#include "common/records/tree.h"

namespace ckpt::dump {

void refuse_nested_namespaces(const records::ProcessTree& tree);

// The inode of /proc/<pid>/ns/<kind>; 0 when the kernel has no such namespace or the process is
// exiting.
ino_t ns_inode(pid_t pid, const char* kind);

}  // namespace ckpt::dump
