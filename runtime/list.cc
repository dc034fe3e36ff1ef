#include "runtime/list.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>

#include <sstream>

#include "common/cgroup/cgroup_file.h"
#include "common/cgroup/freezer.h"
#include "common/container_lock.h"
#include "common/container_state.h"
#include "common/dump_marks.h"
#include "common/error.h"
#include "common/ns/in_thread.h"

namespace ckpt::runtime {

namespace {

uint64_t memory_usage(const cgroup::ContainerCgroup& cgroup) {
  const auto& h = cgroup.hierarchies();
  const cgroup::Hierarchy* mem = h.find("memory");
  if (!mem) return 0;
  const char* file = mem->v2 ? "memory.current" : "memory.usage_in_bytes";
  return static_cast<uint64_t>(cgroup::CgroupFile(cgroup.dir(*mem) / file).read_int().value_or(0));
}

// Addresses of the container's interfaces (but lo), read inside its network namespace.
std::vector<std::string> addresses_of(pid_t init_pid) {
  std::string text = ns::in_namespaces_of(init_pid, CLONE_NEWNET, [] {
    struct ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) throw_errno("getifaddrs");
    std::string out;
    for (auto* a = list; a; a = a->ifa_next) {
      if (!a->ifa_addr || (a->ifa_flags & IFF_LOOPBACK)) continue;
      int family = a->ifa_addr->sa_family;
      if (family != AF_INET && family != AF_INET6) continue;
      char host[INET6_ADDRSTRLEN] = {};
      const void* addr =
          family == AF_INET
              ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr)
              : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr);
      ::inet_ntop(family, addr, host, sizeof host);
      int prefix = 0;
      if (a->ifa_netmask) {
        const auto* mask = reinterpret_cast<const unsigned char*>(
            family == AF_INET ? static_cast<const void*>(
                                    &reinterpret_cast<sockaddr_in*>(a->ifa_netmask)->sin_addr)
                              : static_cast<const void*>(
                                    &reinterpret_cast<sockaddr_in6*>(a->ifa_netmask)->sin6_addr));
        for (int i = 0; i < (family == AF_INET ? 4 : 16); ++i)
          prefix += __builtin_popcount(mask[i]);
      }
      out += std::string(a->ifa_name) + " " + host + "/" + std::to_string(prefix) + "\n";
    }
    ::freeifaddrs(list);
    return out;
  });
  std::vector<std::string> addresses;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) addresses.push_back(line);
  return addresses;
}

ContainerInfo describe(const ContainerState& state) {
  ContainerInfo info;
  info.id = state.id;
  info.init_pid = state.init_pid;
  info.restored_from = state.restored_from;
  cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), state.cgroup_path);
  if (!cgroup.exists()) {
    info.state = "stopped";
    return info;
  }
  info.processes = cgroup.all_procs().size();
  info.memory_bytes = memory_usage(cgroup);
  if (info.processes == 0)
    info.state = "stopped";
  else
    info.state = std::string(to_string(cgroup::container_freezer(cgroup)->state()));
  // setns into a frozen container's netns works; the helper does not enter its cgroup.
  if (info.processes > 0 && state.init_alive()) info.addresses = addresses_of(state.init_pid);
  return info;
}

// A dump of `id` that was killed left it frozen or a thread mid-injection: taking the lock (when
// nobody holds it) undoes that (runtime/dump_recovery), so that `list` shows it as it is.
void undo_killed_dump(const std::string& id) {
  std::error_code ec;
  if (!std::filesystem::exists(recovery_dir(id), ec)) return;
  try {
    ContainerLock lock(id, "list");
  } catch (const Error&) {
    // busy: the dump is still alive
  }
}

}  // namespace

std::vector<ContainerInfo> list_containers() {
  std::vector<ContainerInfo> out;
  for (const auto& id : ContainerState::list_ids()) {
    try {
      undo_killed_dump(id);
      out.push_back(describe(ContainerState::load(id)));
    } catch (const std::exception& e) {
      spdlog::warn("container {}: {}", id, e.what());
    }
  }
  return out;
}

}  // namespace ckpt::runtime
