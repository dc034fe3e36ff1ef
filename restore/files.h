// Restore of open files, in two steps (contract shared by the process and the file work;
// implementation in restore/files.cc):
//  1. open_files() runs in the container's root task, inside the restored mount namespace,
//     before the tree is forked: it opens every open file description of the image once (pipes
//     created, files reopened and seeked, deleted files recreated) at high fd numbers, so every
//     forked process inherits them and shared descriptions stay shared.
//  2. install_fds() runs in each forked process (ns pid given): it dup2()s the descriptions it
//     held into their fd numbers with their close-on-exec flags, then closes all the others
//     (FilesRestoreContext::keep_fds excepted). Objects that own an fd (an ImageReader, a
//     UniqueFd) must be gone or released by then: after install_fds their fd number may be one
//     of the process's restored fds, and closing it would close the process's file.
//     A process sharing its parent's fd table (clone CLONE_FILES, ProcessEntry::
//     shares_parent_files) installs nothing: the table's owner installs it once every process
//     is forked (the sharers fork their own children from the table with every description in
//     it), and each sharer then takes only its own POSIX locks (install_shared_fds()).
//  3. open_late_fds() and then take_shared_late_fds() run in each forked process once the whole
//     tree is forked: they make the pidfds the process holds (restore/pidfds.h).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/image/image.h"
#include "common/records/file_locks.h"
#include "restore/files_kind_openers.h"

namespace ckpt::restore {

class OpenedFiles {
 public:
  virtual ~OpenedFiles() = default;
  // In the forked process whose pid in the container is `ns_pid`.
  virtual void install_fds(pid_t ns_pid) = 0;
  // In a process that shares the fd table of its parent, once the table's owner installed it:
  // what is its own in the table (the POSIX locks it took, which /proc/locks names it for).
  virtual void install_shared_fds(pid_t /*ns_pid*/) {}
  // The fds that refer to other processes (pidfds), in the same process before its rlimits are
  // set: open_late_fds() once every process of the tree is forked (those it holds first),
  // take_shared_late_fds() once every process is through open_late_fds() (the others, from
  // their first holder).
  virtual void open_late_fds(pid_t /*ns_pid*/) {}
  virtual void take_shared_late_fds(pid_t /*ns_pid*/) {}
};

struct FilesRestoreContext {
  std::string console_path;  // host path of the restored container's console log
  // An fd already open on the new console (opened before entering the container's mount
  // namespace, where console_path may not be visible); -1 to open console_path instead.
  int console_fd = -1;
  // fds of the restorer that install_fds() leaves open (e.g. a control socket). They must not
  // be any fd number the restored processes use; install_fds() throws if one is.
  std::vector<int> keep_fds;
  // Established TCP connections come back closed instead of rebuilt in repair mode
  // (restore/tcp_connections.h).
  bool tcp_close = false;
  // Openers of the kinds whose state was made before open_files() (ptys by restore/ttys.h,
  // memfds by restore/shmem.h); open_files() adds those it reads from the image (sockets, TCP
  // connections).
  KindOpeners openers;
  // Locks and leases to take again (open_files() reads them from the image).
  records::FileLocksState locks;
};

std::unique_ptr<OpenedFiles> open_files(const image::ImageReader& image,
                                        const FilesRestoreContext& context);

}  // namespace ckpt::restore
