// Mount set-up of a container, run inside its new mount namespace.
#pragma once

#include <string>

namespace ckpt::ns {

// Private propagation, a fresh /proc (and /sys) for the new pid and net namespaces; with a
// rootfs: pivot_root into it with /proc, a minimal /dev (tmpfs + host device nodes) and /sys.
void setup_container_mounts(const std::string& rootfs);

}  // namespace ckpt::ns
