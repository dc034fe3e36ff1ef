// Dump of the container's open files: every fd of every process, the open file descriptions
// behind them (shared ones once), pipe and FIFO buffers, deleted files' contents.
// (Contract shared by the process and the file work; implementation in ckpt/files.cc.)
#pragma once

#include <sys/types.h>

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/image/image.h"
#include "common/proc/fdinfo.h"
#include "common/records/files.h"

namespace ckpt::dump {

struct FilesContext {
  std::vector<pid_t> pids;   // host pids of every process of the container (init first), all seized
  std::string console_path;  // host path of the container's console log (stdout/stderr)
  // Inodes (st_dev, st_ino) of deleted files whose contents the shared memory stores (a process
  // maps them): not stored again with the files.
  std::set<std::pair<uint64_t, uint64_t>> stored_with_shared_memory;
  // /proc/locks as read from the freeze on (ckpt/dump.cc); none: read here.
  std::optional<std::string> proc_locks;
  // fdinfo of the inotify fds as it was before the dump muted their watches (ckpt/event_files_muted).
  proc::FdinfoTexts fdinfo_before = {};
};

// Collects the fd tables of all processes and writes section kFiles (id 0) plus kFileData
// sections. Throws Error naming pid, fd and type for an fd kind that is not supported, before
// anything is written. Returns the kFiles record.
records::FilesState dump_files(const FilesContext& context, image::ImageWriter& image);

}  // namespace ckpt::dump
