// Opening one open file description of the image again, by kind: files and directories by
// path, devices, the console, eventfds, listening sockets, message queues. Pipes:
// restore/pipes.h; deleted files: deleted_files.h; kinds with state of their own:
// restore/files_kind_openers.h.
#pragma once

#include <cstdint>

#include "common/records/files.h"
#include "common/unique_fd.h"
#include "restore/files.h"

namespace ckpt::restore {

// The flags open(2) gets to recreate a description with recorded status flags: no creation,
// truncation or close-on-exec, never a controlling tty.
int reopen_flags(uint32_t recorded_flags);

// Opens the file `fd` refers to again, as a new description with `recorded_flags`
// (open of /proc/self/fd/FD: works for pipes and deleted files too).
UniqueFd reopen(int fd, uint32_t recorded_flags);

// Moves to the recorded offset (not for O_PATH descriptions or unseekable files).
void restore_offset(int fd, const records::FileDescription& d);

// A regular file (not deleted), directory, device, console, eventfd, listening TCP socket or
// message queue.
UniqueFd open_by_kind(const records::FileDescription& d, const FilesRestoreContext& context);

}  // namespace ckpt::restore
