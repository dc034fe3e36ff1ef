// Dump of fds on namespace files (open("/proc/self/ns/net"), a bind of one, an fd from
// setns-style tools): an fd on one of the container's own namespaces is recorded by the
// namespace's type (restore/ns_files.h opens the restored container's namespace of that type);
// an fd on a namespace the container shares with the host, or on any other, refuses the dump.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

namespace ckpt::dump {

struct FdFacts;

// The container's own namespaces: type ("net", "pid", ...) -> inode, for each type in which the
// container's init is not in ckpt's (the host's) namespace.
struct ContainerNamespaces {
  std::map<std::string, ino_t> own;
};

ContainerNamespaces read_container_namespaces(pid_t init_pid);

// An fd on a namespace file (nsfs).
bool is_namespace_file(const FdFacts& facts);

// The type of the container's namespace the fd refers to; throws Error naming pid, fd and
// namespace when it is not one of the container's own.
std::string namespace_file_type(const FdFacts& facts, const ContainerNamespaces& namespaces);

}  // namespace ckpt::dump
