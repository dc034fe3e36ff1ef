#include "runtime/check.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/ranges.h>

#include <functional>

#include "common/cgroup/hierarchy.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/ipc/sem_undo_ops.h"
#include "common/ns/clone.h"
#include "common/unique_fd.h"
#include "netns/link_kinds.h"

namespace ckpt::check {

namespace {

Fact kernel_release() {
  struct utsname u {};
  ::uname(&u);
  return {"kernel", Level::kOk, std::string(u.release) + " " + u.machine};
}

Fact cgroup_layout() {
  const auto& h = cgroup::host_hierarchies();
  std::string detail;
  for (const auto& x : h.v1) detail += (detail.empty() ? "v1: " : ",") + x.name();
  if (h.v2) {
    detail += (detail.empty() ? "" : "; ") + std::string("cgroup2 at ") + h.v2->mount.string();
    std::string controllers;
    for (const auto& c : h.v2->controllers) controllers += " " + c;
    detail += controllers.empty() ? " (no controllers)" : " (" + controllers.substr(1) + ")";
  }
  if (detail.empty()) return {"cgroups", Level::kMissing, "no cgroup hierarchy mounted"};
  return {"cgroups", Level::kOk, detail};
}

Fact freezer() {
  const auto& h = cgroup::host_hierarchies();
  if (const auto* f = h.find("freezer"); f && !f->v2)
    return {"freezer", Level::kOk, "v1 freezer.state at " + f->mount.string()};
  if (h.v2) return {"freezer", Level::kOk, "cgroup2 cgroup.freeze"};
  return {"freezer", Level::kMissing, "neither v1 freezer nor cgroup2"};
}

// Whether `cap` is in our bounding set (/proc/self/status CapBnd).
bool in_bounding_set(int cap) {
  std::string status = fs::read_file("/proc/self/status");
  auto pos = status.find("CapBnd:");
  if (pos == std::string::npos) return false;
  uint64_t bnd = std::stoull(status.substr(pos + 7), nullptr, 16);
  return bnd & (1ull << cap);
}

Fact sys_resource() {
  if (in_bounding_set(CAP_SYS_RESOURCE)) return {"CAP_SYS_RESOURCE", Level::kOk, "present"};
  return {"CAP_SYS_RESOURCE", Level::kWarn,
          "not in the bounding set: hard rlimits cannot be raised, pipes stay <= 1 MiB, "
          "PR_SET_MM only as PR_SET_MM_MAP"};
}

Fact soft_dirty() {
  // A page just written is soft-dirty (pagemap bit 55) where CONFIG_MEM_SOFT_DIRTY is on.
  void* page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) throw_errno("mmap");
  *static_cast<volatile char*>(page) = 1;
  uint64_t entry = 0;
  UniqueFd fd(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  off_t offset = static_cast<off_t>(reinterpret_cast<uintptr_t>(page) / 4096 * 8);
  bool read_ok = fd && ::pread(fd.get(), &entry, sizeof entry, offset) == sizeof entry;
  ::munmap(page, 4096);
  if (read_ok && (entry & (1ull << 55))) return {"soft-dirty", Level::kOk, "available"};
  return {"soft-dirty", Level::kWarn, "unavailable: dirty tracking uses uffd-WP + PAGEMAP_SCAN"};
}

// Pre-copy and restore both make their userfaultfd this way (user-mode faults only).
Fact userfaultfd() {
  int fd =
      static_cast<int>(::syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY));
  if (fd < 0)
    return {"userfaultfd", Level::kMissing,
            std::string(std::strerror(errno)) +
                ": no pre-copy; restore fills memory by populate + process_vm_writev (slower)"};
  struct uffdio_api api {};
  api.api = UFFD_API;
  bool ok = ::ioctl(fd, UFFDIO_API, &api) == 0;
  ::close(fd);
#ifdef UFFD_FEATURE_WP_ASYNC
  bool wp_async = ok && (api.features & UFFD_FEATURE_WP_ASYNC);
#else
  bool wp_async = ok && (api.features & (1ull << 15));
#endif
  std::string fill = ok ? "restore fills memory with UFFDIO_COPY"
                        : "restore fills memory by populate + process_vm_writev (slower)";
  return {"userfaultfd", wp_async ? Level::kOk : Level::kWarn,
          (wp_async ? "WP_ASYNC (dirty tracking for pre-copy); "
                    : "no WP_ASYNC (no dirty tracking for pre-copy); ") +
              fill};
}

// Runs `fn` in a child process; the fact is ok when it exits 0.
bool in_child(uint64_t clone_flags, const std::function<bool()>& fn) {
  pid_t pid;
  try {
    pid = ns::clone_fork(clone_flags);
  } catch (const Error&) {
    return false;
  }
  if (pid == 0) ::_exit(fn() ? 0 : 1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

Fact exact_pids() {
  bool ok = in_child(CLONE_NEWPID, [] {
    // pid 1 of a new pid namespace asks for a child with pid 4242.
    pid_t want = 4242;
    pid_t child;
    try {
      child = ns::clone_fork(0, std::span(&want, 1));
    } catch (const Error&) {
      return false;
    }
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    return child == want;
  });
  return {"clone3 set_tid", ok ? Level::kOk : Level::kMissing,
          ok ? "exact pids on restore" : "restore cannot recreate pids"};
}

Fact time_namespace() {
  bool ok = std::filesystem::exists("/proc/self/ns/time");
  return {"time namespace", ok ? Level::kOk : Level::kMissing,
          ok ? "CLOCK_MONOTONIC/BOOTTIME offsets" : "clocks jump on restore"};
}

Fact vdso_layout() {
  std::string maps = fs::read_file("/proc/self/maps");
  std::string names;
  for (const char* n : {"[vvar]", "[vvar_vclock]", "[vdso]"})
    if (maps.find(n) != std::string::npos) names += std::string(names.empty() ? "" : " ") + n;
  return {"vdso", Level::kOk, names};
}

Fact pidfd_getfd() {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));
  if (pidfd < 0) return {"pidfd_getfd", Level::kMissing, std::strerror(errno)};
  int fd = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, 0, 0));
  ::close(pidfd);
  if (fd < 0) return {"pidfd_getfd", Level::kMissing, std::strerror(errno)};
  ::close(fd);
  return {"pidfd_getfd", Level::kOk, "fds are taken from dumped processes"};
}

Fact posix_timer_ids() {
  constexpr int kPrTimerCreateRestoreIds = 77, kGet = 2;  // Linux 6.16+, not in Debian's headers
  bool ok = ::prctl(kPrTimerCreateRestoreIds, kGet, 0, 0, 0) >= 0;
  return {"posix timer ids", ok ? Level::kOk : Level::kMissing,
          ok ? "PR_TIMER_CREATE_RESTORE_IDS: timers come back with their ids"
             : "no PR_TIMER_CREATE_RESTORE_IDS: processes with POSIX timers cannot be restored"};
}

// One semop with SEM_UNDO in a child (its adjustment dies with it): the probes must read it back
// without changing the value, and the child's exit must give it back.
Fact sem_undo() {
  int sem_id = ::semget(IPC_PRIVATE, 1, 0600);
  if (sem_id < 0) return {"SEM_UNDO", Level::kMissing, std::strerror(errno)};
  auto probes_read_it_back = [sem_id] {
    auto semop = [sem_id](std::span<const sembuf> ops) {
      return ::semop(sem_id, const_cast<sembuf*>(ops.data()), ops.size()) == 0 ? 0 : -errno;
    };
    sembuf take{0, -3, SEM_UNDO};
    try {
      return ::semop(sem_id, &take, 1) == 0 &&
             ipc::probe_adjustments(semop, {7}, ipc::kMinOpsPerCall) == std::vector<int>{3} &&
             ::semctl(sem_id, 0, GETVAL) == 7;
    } catch (const Error&) {
      return false;
    }
  };
  bool ok = ::semctl(sem_id, 0, SETVAL, 10) == 0 && in_child(0, probes_read_it_back) &&
            ::semctl(sem_id, 0, GETVAL) == 10;
  ::semctl(sem_id, 0, IPC_RMID);
  return {"SEM_UNDO", ok ? Level::kOk : Level::kWarn,
          ok ? "adjustments read by semop probes (ERANGE) and given back on restore"
             : "semop probes do not read adjustments back: dumps lose them"};
}

Fact link_kinds() {
  std::vector<std::string> have, lack;
  for (const auto& [kind, ok] : netns::probe_link_kinds()) (ok ? have : lack).push_back(kind);
  std::string detail = fmt::format("{}", fmt::join(have, " "));
  if (lack.empty()) return {"link kinds", Level::kOk, detail};
  return {"link kinds", Level::kWarn,
          fmt::format("{}; not: {} (containers using them cannot be restored here)", detail,
                      fmt::join(lack, " "))};
}

}  // namespace

std::vector<Fact> probe_host() {
  return {kernel_release(),  cgroup_layout(), freezer(),        sys_resource(), soft_dirty(),
          userfaultfd(),     exact_pids(),    time_namespace(), vdso_layout(),  pidfd_getfd(),
          posix_timer_ids(), sem_undo(),      link_kinds()};
}

}  // namespace ckpt::check
