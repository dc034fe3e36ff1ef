// The restore pipeline: open, preflight, cgroups, namespaces, fork, per-process state, memory and
// registers, resume. Every stage is undone when a later one fails.
#pragma once

#include <string>

namespace ckpt::restore {

struct RestoreOptions {
  std::string input;  // path, or "-" for stdin
  std::string name;   // new container id; empty: the id in the image
};

void restore_container(const RestoreOptions& options);

}  // namespace ckpt::restore
