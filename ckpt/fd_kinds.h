// What one fd of a stopped process is: the facts /proc shows about it, and the open file
// description record they make (or the one-line refusal for a kind ckpt does not support).
// ckpt/fd_kinds.cc holds the table of kinds: for each kind of common/records/file_kinds.def, in
// the order they are tried, how its fds are recognized and what its describer records.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>

#include "ckpt/files_locks.h"
#include "ckpt/ns_files.h"
#include "common/proc/fdinfo.h"
#include "common/records/files.h"

namespace ckpt::dump {

struct FdFacts {
  pid_t pid = 0;
  int fd = 0;
  std::string link;   // readlink of /proc/PID/fd/FD: a path, "pipe:[N]", "socket:[N]", ...
  struct stat st {};  // stat of /proc/PID/fd/FD (the open file itself)
  proc::FdInfo info;
  bool on_mqueue_fs = false;  // a POSIX message queue
  long fs_magic = 0;          // statfs f_type of the file's filesystem (0 if unknown)
  std::optional<records::ListeningSocket> listening;  // a listening TCP socket
  bool tcp_connection = false;                        // a connected TCP socket (tcp_connections.h)
  std::optional<records::FileKind> socket_kind;       // a unix, UDP or closed TCP socket
  std::optional<records::ListeningSocket> closed_tcp;  // kTcpSocket: address and options
  FdOwner owner;  // F_GETOWN_EX / F_GETSIG of its description (none for O_PATH fds)
};

// The file the container uses as its console (stdout/stderr), by identity.
struct ConsoleId {
  bool known = false;
  dev_t dev = 0;
  ino_t ino = 0;
};

// What the describers know of the container beyond one fd.
struct FdScope {
  ConsoleId console;
  std::map<pid_t, pid_t> ns_pids;  // host pid -> pid in the container, of every dumped process
  ContainerNamespaces namespaces;  // the container's own namespaces (ckpt/ns_files.h)
};

// Reads the facts of /proc/<pid>/fd/<fd>.
FdFacts read_fd_facts(pid_t pid, int fd);

// A description record (id, data_id and pipe capacity left for the caller) for the fd.
// `root` is the process's root as the dumper sees it ("/" unless chrooted in our namespace);
// paths under it are made relative to it. Throws Error "pid P fd F: unsupported file type T"
// (or naming why that kind of fd cannot be restored exactly).
records::FileDescription describe_fd(const FdFacts& facts, const std::string& root,
                                     const FdScope& scope);

// Whether the table has a describer for `kind` (every kind of file_kinds.def must have one).
bool has_describer(records::FileKind kind);

}  // namespace ckpt::dump
