#include "ckpt/files_locks.h"

#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "ckpt/fd_kinds.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/proc/pid_status.h"
#include "common/proc/pidfd.h"

namespace ckpt::dump {

namespace {

using records::FileLockKind;

FileLockKind record_kind(const proc::LockLine& lock, const FdFacts& facts) {
  bool active = lock.active && !lock.unlock && !lock.waiter;
  switch (lock.kind) {
    case proc::LockKind::kPosix:
      return FileLockKind::kPosix;
    case proc::LockKind::kOfd:
      return FileLockKind::kOfd;
    case proc::LockKind::kFlock:
      return FileLockKind::kFlock;
    case proc::LockKind::kLease:
      if (active) return FileLockKind::kLease;
      fail("pid {} fd {}: a lease being broken ({}) cannot be restored", facts.pid, facts.fd,
           proc::describe_lock(lock));
    case proc::LockKind::kOther:
      break;
  }
  fail("pid {} fd {}: unsupported lock {}", facts.pid, facts.fd, proc::describe_lock(lock));
}

records::FileLock record_of(const proc::LockLine& lock, FileLockKind kind) {
  records::FileLock l;
  l.kind = kind;
  l.write = lock.write;
  if (kind == FileLockKind::kPosix || kind == FileLockKind::kOfd) {
    l.start = lock.start;
    l.length = lock.end ? *lock.end - lock.start + 1 : 0;
  }
  return l;
}

// The container pid namespace's id of a host thread, process or process group; 0 when it is
// not one of the container's.
pid_t owner_in_container(const FdOwner& owner, const std::map<pid_t, pid_t>& host_to_ns) {
  switch (owner.type) {
    case F_OWNER_PID:
      if (auto it = host_to_ns.find(owner.host_id); it != host_to_ns.end()) return it->second;
      break;
    case F_OWNER_TID:
      if (std::filesystem::exists("/proc/" + std::to_string(owner.host_id))) {
        proc::PidStatus status = proc::read_pid_status(owner.host_id);
        if (host_to_ns.count(status.tgid) && !status.ns_pid.empty()) return status.ns_pid.back();
      }
      break;
    case F_OWNER_PGRP:
      for (const auto& [host, ns] : host_to_ns) {
        if (::getpgid(host) != owner.host_id) continue;
        proc::PidStatus status = proc::read_pid_status(host);
        if (!status.ns_pgid.empty()) return status.ns_pgid.back();
      }
      break;
  }
  return 0;
}

}  // namespace

FdOwner read_fd_owner(pid_t pid, int fd) {
  UniqueFd copy = proc::take_fd(pid, fd);
  f_owner_ex owner{};
  if (::fcntl(copy.get(), F_GETOWN_EX, &owner) != 0)
    throw_errno("F_GETOWN_EX(pid {} fd {})", pid, fd);
  int signal = ::fcntl(copy.get(), F_GETSIG);
  if (signal < 0) throw_errno("F_GETSIG(pid {} fd {})", pid, fd);
  return {owner.type, owner.pid, signal};
}

void FileLocksCollector::add_fd(const FdFacts& facts, pid_t ns_pid, uint64_t description) {
  if (facts.owner.host_id != 0 || facts.owner.signal != 0)
    owners_.try_emplace(description, OwnerAt{facts.owner, facts.pid, facts.fd});
  for (const proc::LockLine& lock : facts.info.locks) {
    FileLockKind kind = record_kind(lock, facts);
    // A POSIX lock shows in every fd of its owner's fd table, also in the table's other
    // processes (CLONE_FILES): it is the process's that took it, and kept with that one's fd.
    if (kind == FileLockKind::kPosix && lock.pid != facts.pid) continue;
    // A lock shows in every fd of its owner (the process for POSIX, else the description).
    std::pair<uint64_t, proc::LockLine> key{kind == FileLockKind::kPosix ? 0 : description, lock};
    if (std::find(keys_.begin(), keys_.end(), key) != keys_.end()) continue;
    keys_.push_back(key);
    records::FileLock l = record_of(lock, kind);
    if (kind == FileLockKind::kPosix) {
      l.ns_pid = ns_pid;
      l.fd = facts.fd;
    } else {
      l.description = description;
    }
    state_.locks.push_back(l);
    seen_.push_back(lock);
  }
}

void check_every_lock_seen(const std::string& proc_locks, const std::set<pid_t>& host_pids,
                           const std::vector<proc::LockLine>& seen) {
  for (const proc::LockLine& lock : proc::parse_proc_locks(proc_locks)) {
    if (lock.waiter || !host_pids.count(lock.pid)) continue;
    if (std::find(seen.begin(), seen.end(), lock) != seen.end()) continue;
    fail("pid {}: {} is held through no fd of the container (a mapping or an fd in flight): "
         "cannot restore it",
         lock.pid, proc::describe_lock(lock));
  }
}


records::FileLocksState FileLocksCollector::finish(const std::map<pid_t, pid_t>& host_to_ns) {
  for (const auto& [description, at] : owners_) {
    records::FileOwner o;
    o.description = description;
    o.signal = at.owner.signal;
    if (at.owner.host_id != 0) {
      o.owner_type = at.owner.type;
      o.ns_owner = owner_in_container(at.owner, host_to_ns);
      if (o.ns_owner == 0)
        fail("pid {} fd {}: its SIGIO owner ({} {}) is not in the container", at.pid, at.fd,
             at.owner.type == F_OWNER_PGRP ? "process group" : "pid", at.owner.host_id);
    }
    state_.owners.push_back(o);
  }
  return std::move(state_);
}

}  // namespace ckpt::dump
