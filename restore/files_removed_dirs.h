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

// In the forked process (no exceptions): false with errno set when the directory cannot be made
// (its parent is gone too).
bool enter_removed_cwd(const std::string& cwd);

// Makes a node removed while open (a FIFO, a device) with `make` at its old `path`, or at
// `path` + `suffix` when that is taken, so that an fd opened on it shows the old path again.
// Returns the name made; throws naming `what`.
std::string make_removed_node(const std::string& path, const std::string& suffix,
                              const char* what, const std::function<int(const char*)>& make);

// A description of a directory removed while open (kDirectory, deleted), with its flags.
UniqueFd open_removed_directory(const records::FileDescription& d);

}  // namespace ckpt::restore
