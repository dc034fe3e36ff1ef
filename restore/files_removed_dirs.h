// Directories that were removed while in use: a working directory ("/proc/PID/cwd" reads
// "PATH (deleted)") or an open directory fd. Each is made again at PATH (or, when PATH is taken,
// at a fresh name next to it), entered or opened, and removed: the process holds a removed
// directory again, as dumped.
#pragma once

#include <functional>
#include <string>

#include "common/records/files.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

// True when the dumped cwd link names a removed directory.
bool is_removed_cwd(const std::string& cwd);

// In the forked process (throws nothing): enters a removed directory made again at the cwd's old
// path (see open_removed_node); false with errno set when it cannot be made (its parent is gone
// too).
bool enter_removed_cwd(const std::string& cwd);

// A node removed while open (a FIFO, a device, a directory): made with `make` at its old
// `path`, opened there with `open` and removed, so that the fd shows the old path again. When
// `path` is taken
// (a file made at that name since), the node is made at `path` + `suffix` and exchanged with what
// holds `path` for the open, which then gets its name back (under a flock of the directory,
// which every restoring process takes for this). Returns what `open` returned (errno kept when
// it failed); throws naming `what`.
UniqueFd open_removed_node(const std::string& path, const std::string& suffix, const char* what,
                           const std::function<int(const char*)>& make,
                           const std::function<UniqueFd(const char*)>& open);

// A description of a directory removed while open (kDirectory, deleted), with its flags.
UniqueFd open_removed_directory(const records::FileDescription& d);

}  // namespace ckpt::restore
