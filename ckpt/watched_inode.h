// The inode an inotify watch or a fanotify mark is on, found from the file handle fdinfo shows
// (open_by_handle_at on a mount of the same filesystem as the process sees it).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "common/proc/fdinfo_events.h"
#include "common/unique_fd.h"

namespace ckpt::dump {

struct WatchedInodeFacts {
  std::string path;  // as process `pid` sees it; empty when the inode has no name (removed)
};

// `what` names the watch or mark in errors ("inotify wd 3").
WatchedInodeFacts watched_inode(pid_t pid, const proc::WatchedInode& inode,
                                const std::string& what);

// The dev_t of a device as fdinfo shows it (the kernel's own dev_t: major << 20 | minor).
dev_t dev_of_sdev(uint64_t sdev);

// An O_PATH fd on the inode, by its handle (open_by_handle_at on a mount fd of its filesystem,
// which is opened for reading: an open and a close event for a watch of that mount point).
UniqueFd open_watched_inode(pid_t pid, const proc::WatchedInode& inode, const std::string& what);

// A mount point, as process `pid` sees it, of the filesystem with kernel dev_t `sdev`; throws
// naming `what` when it has none.
std::string mount_point_of(pid_t pid, uint64_t sdev, const std::string& what);

}  // namespace ckpt::dump
