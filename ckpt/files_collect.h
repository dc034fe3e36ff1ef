// Builds the files record of a container from the facts of every fd of every process: open
// file descriptions found once (dup'ed and inherited fds share one), pipes once per inode,
// deleted files' contents once per inode. Reads /proc only; writes nothing.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "ckpt/fd_kinds.h"
#include "ckpt/files.h"
#include "common/records/files.h"

namespace ckpt::dump {

struct ProcessFdFacts {
  pid_t host_pid = 0;
  pid_t ns_pid = 0;
  std::string root = "/";    // the process's root as the dumper sees it
  std::vector<FdFacts> fds;  // ascending fd order
};

// Orders open file descriptions: <0, 0 (the same description) or >0 for (pid_a, fd_a) against
// (pid_b, fd_b). kcmp(KCMP_FILE) gives such a total order, so lookups are binary searches.
using CompareDescriptions = std::function<int(pid_t, int, pid_t, int)>;
int kcmp_files(pid_t pid_a, int fd_a, pid_t pid_b, int fd_b);

// Where to read a description's contents at dump time: one of its fds.
struct FdRef {
  pid_t pid = 0;
  int fd = 0;
};

struct CollectedFiles {
  records::FilesState state;
  std::vector<std::pair<uint64_t, FdRef>> deleted_files;    // data_id -> an fd of the file
  std::vector<std::pair<uint64_t, FdRef>> pipes;            // pipe id -> an fd of the pipe
  std::vector<std::pair<uint64_t, std::string>> pipe_data;  // data_id -> bytes buffered
  FileLocksCollector locks;  // locks and SIGIO owners seen through the fds
};

// Reads the fd facts of one process: its ns pid (last NSpid of status) and every fd; paths are
// taken relative to `root`, the container's root (its init's), also for a process that
// chroot()ed (restore chroots it again after its files are open).
ProcessFdFacts read_process_fds(pid_t host_pid, const std::string& root);

// Throws Error "pid P fd F: unsupported file type T" for the first unsupported fd. `container`:
// the console and namespaces (the pids of `processes` are added to it).
CollectedFiles build_files_state(const std::vector<ProcessFdFacts>& processes,
                                 const FdScope& container, const CompareDescriptions& compare);

// Everything dump_files writes (the record, pipe buffers; deleted files are read while writing),
// read without writing anything. Throws Error naming pid, fd and type for an unsupported fd.
CollectedFiles collect_files(const FilesContext& context);

}  // namespace ckpt::dump
