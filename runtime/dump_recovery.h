// Undoing what a killed `ckpt dump` left (see common/dump_marks.h): run by the next command that
// takes the container's lock (common/container_lock), and by `ckpt list`.
#pragma once

#include <string>

namespace ckpt::runtime {

// If a dump of `id` was killed: the threads it held in injected system calls get their
// registers and signal masks back, the container is thawed if the dump had frozen it, and the
// temp image is removed. The caller holds the container's lock. Nothing to do: returns at once.
void recover_after_killed_dump(const std::string& id);

}  // namespace ckpt::runtime
