// Mount set-up of a container, run inside its new mount namespace.
#pragma once

#include <string>
#include <vector>

namespace ckpt::ns {

// A mount `ckpt run` adds to a container (--tmpfs, --bind), after its standard ones.
struct ExtraMount {
  enum Kind { kTmpfs, kBind } kind = kTmpfs;
  std::string source;   // kBind: the host path
  std::string target;   // in the container
  std::string options;  // kTmpfs: mount options (size=64m,mode=1777)
  bool read_only = false;
  bool directory = true;  // kBind: the source is a directory (else a file)
};

// "/data" or "/data:size=64m,mode=755" (--tmpfs); "HOST:CONTAINER" or "HOST:CONTAINER:ro"
// (--bind, HOST must exist). Throws Error naming the bad spec.
ExtraMount parse_tmpfs_spec(const std::string& spec);
ExtraMount parse_bind_spec(const std::string& spec);

// Private propagation, a fresh /proc (and /sys) for the new pid and net namespaces; with a
// rootfs: pivot_root into it with /proc, a minimal /dev (tmpfs + host device nodes) and /sys.
// Then the `extra` mounts in order (their mount points are made when missing; bind sources are
// host paths, taken before pivoting).
void setup_container_mounts(const std::string& rootfs, const std::vector<ExtraMount>& extra = {});

}  // namespace ckpt::ns
