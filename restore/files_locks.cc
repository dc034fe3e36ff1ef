#include "restore/files_locks.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "common/fs.h"
#include "common/proc/pid_status.h"
#include "common/proc/pidfd.h"

namespace ckpt::restore {

namespace {

using image::SectionType;
using records::FileLock;
using records::FileLockKind;

struct flock range_of(const FileLock& lock) {
  struct flock fl {};
  fl.l_type = static_cast<short>(lock.write ? F_WRLCK : F_RDLCK);
  fl.l_whence = SEEK_SET;
  fl.l_start = lock.start;
  fl.l_len = lock.length;
  return fl;
}

const char* kind_name(FileLockKind kind) {
  switch (kind) {
    case FileLockKind::kPosix:
      return "POSIX lock";
    case FileLockKind::kOfd:
      return "OFD lock";
    case FileLockKind::kFlock:
      return "flock";
    case FileLockKind::kLease:
      return "lease";
  }
  return "lock";
}

void take_on_description(const FileLock& lock, int fd) {
  int r = 0;
  struct flock fl = range_of(lock);
  switch (lock.kind) {
    case FileLockKind::kOfd:
      r = ::fcntl(fd, F_OFD_SETLK, &fl);
      break;
    case FileLockKind::kFlock:
      r = ::flock(fd, (lock.write ? LOCK_EX : LOCK_SH) | LOCK_NB);
      break;
    case FileLockKind::kLease:
      r = ::fcntl(fd, F_SETLEASE, lock.write ? F_WRLCK : F_RDLCK);
      break;
    case FileLockKind::kPosix:
      return;
  }
  if (r != 0)
    throw_errno("restore files: description {}: {} {} {}+{}", lock.description,
                lock.write ? "write" : "read", kind_name(lock.kind), lock.start, lock.length);
}

// The host id of a restored thread, process or process group known in the container as `ns_id`.
pid_t host_owner(int type, pid_t ns_id, const std::map<pid_t, pid_t>& host_pids) {
  for (const auto& [ns, host] : host_pids) {
    if (type == F_OWNER_PID && ns == ns_id) return host;
    if (type == F_OWNER_PGRP && proc::read_pid_status(host).ns_pgid.back() == ns_id)
      return ::getpgid(host);
    if (type != F_OWNER_TID) continue;
    std::string tasks = "/proc/" + std::to_string(host) + "/task";
    for (const auto& task : std::filesystem::directory_iterator(tasks)) {
      pid_t tid = static_cast<pid_t>(std::stol(task.path().filename().string()));
      if (proc::read_pid_status(tid).ns_pid.back() == ns_id) return tid;
    }
  }
  fail("restore files: SIGIO owner {} of type {} was not restored", ns_id, type);
}

}  // namespace

records::FileLocksState read_file_locks(const image::ImageReader& image) {
  if (!image.has(SectionType::kFileLocks, 0)) return {};
  return image.get<records::FileLocksState>(SectionType::kFileLocks, 0);
}

void take_description_locks(const records::FileLocksState& locks,
                            const std::map<uint64_t, UniqueFd>& opened) {
  for (const FileLock& lock : locks.locks) {
    if (lock.kind == FileLockKind::kPosix) continue;
    auto it = opened.find(lock.description);
    if (it == opened.end())
      fail("restore files: {} on description {} that was not opened", kind_name(lock.kind),
           lock.description);
    take_on_description(lock, it->second.get());
  }
}

void take_process_locks(const records::FileLocksState& locks, pid_t ns_pid) {
  for (const FileLock& lock : locks.locks) {
    if (lock.kind != FileLockKind::kPosix || lock.ns_pid != ns_pid) continue;
    struct flock fl = range_of(lock);
    if (::fcntl(lock.fd, F_SETLK, &fl) != 0)
      throw_errno("restore files: pid {} fd {}: {} POSIX lock {}+{}", ns_pid, lock.fd,
                  lock.write ? "write" : "read", lock.start, lock.length);
  }
}

void set_file_owners(const image::ImageReader& image, const std::map<pid_t, pid_t>& host_pids) {
  records::FileLocksState locks = read_file_locks(image);
  if (locks.owners.empty()) return;
  auto files = image.get<records::FilesState>(SectionType::kFiles, 0);
  for (const records::FileOwner& owner : locks.owners) {
    pid_t holder = 0;
    int fd = -1;
    for (const auto& process : files.processes)
      for (const auto& entry : process.fds)
        if (fd < 0 && entry.description == owner.description && host_pids.count(process.ns_pid)) {
          holder = host_pids.at(process.ns_pid);
          fd = entry.fd;
        }
    if (fd < 0) fail("restore files: no process holds description {}", owner.description);
    UniqueFd copy = proc::take_fd(holder, fd);
    if (owner.ns_owner != 0) {  // (F_OWNER_TID is 0: the type cannot tell)
      f_owner_ex ex{static_cast<__pid_type>(owner.owner_type),
                    host_owner(owner.owner_type, owner.ns_owner, host_pids)};
      if (::fcntl(copy.get(), F_SETOWN_EX, &ex) != 0)
        throw_errno("restore files: F_SETOWN_EX of description {}", owner.description);
    }
    if (::fcntl(copy.get(), F_SETSIG, owner.signal) != 0)
      throw_errno("restore files: F_SETSIG {} of description {}", owner.signal, owner.description);
  }
}

}  // namespace ckpt::restore
