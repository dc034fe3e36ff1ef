#include "ckpt/ns_files.h"

#include <linux/magic.h>
#include <unistd.h>

#include "ckpt/fd_kinds.h"
#include "ckpt/nested_ns.h"
#include "common/error.h"
#include "common/error_kind.h"

namespace ckpt::dump {

namespace {

constexpr const char* kTypes[] = {"mnt", "net", "uts", "ipc", "pid", "time", "cgroup", "user"};

}  // namespace

ContainerNamespaces read_container_namespaces(pid_t init_pid) {
  ContainerNamespaces namespaces;
  for (const char* type : kTypes) {
    ino_t container = ns_inode(init_pid, type);
    if (container != 0 && container != ns_inode(::getpid(), type))
      namespaces.own.emplace(type, container);
  }
  return namespaces;
}

bool is_namespace_file(const FdFacts& facts) {
  return facts.fs_magic == NSFS_MAGIC;
}

std::string namespace_file_type(const FdFacts& facts, const ContainerNamespaces& namespaces) {
  // readlink gives "TYPE:[INODE]" ("pid" also for pid_for_children, "time" for time_for_children).
  std::string type = facts.link.substr(0, facts.link.find(":["));
  auto it = namespaces.own.find(type);
  if (it != namespaces.own.end() && it->second == facts.st.st_ino) return type;
  bool host = facts.st.st_ino == ns_inode(::getpid(), type.c_str());
  fail(ErrorKind::kRefused, "pid {} fd {}: namespace file {} is {}", facts.pid, facts.fd,
       facts.link, host ? "the host's, not the container's" : "not one of the container's");
}

}  // namespace ckpt::dump
