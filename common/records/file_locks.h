// What fcntl() and flock() set on open files beyond their flags: locks (POSIX record locks held
// by a process; OFD and flock locks and leases held by an open file description) and the owner
// and signal of SIGIO/SIGURG (F_SETOWN_EX, F_SETSIG). Section kFileLocks, id 0; none in older
// images.
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <vector>

namespace ckpt::records {

enum class FileLockKind : uint32_t {
  kPosix = 1,  // fcntl F_SETLK: owned by the process (taken again in it, through `fd`)
  kOfd = 2,    // fcntl F_OFD_SETLK: owned by the open file description
  kFlock = 3,  // flock(): owned by the open file description
  kLease = 4,  // fcntl F_SETLEASE: owned by the open file description
};

struct FileLock {
  FileLockKind kind = FileLockKind::kPosix;
  bool write = false;        // F_WRLCK / LOCK_EX, else F_RDLCK / LOCK_SH
  int64_t start = 0;         // POSIX and OFD: first byte
  int64_t length = 0;        // POSIX and OFD: bytes, 0 up to the end of the file (and beyond)
  uint64_t description = 0;  // FileDescription::id
  int32_t ns_pid = 0;        // POSIX: the owner process, in the container's pid namespace
  int32_t fd = 0;            // POSIX: an fd of that process on the file

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, kind, write, start, length, description, ns_pid, fd);
  }
};

// F_GETOWN_EX / F_GETSIG of one open file description, when either is set.
struct FileOwner {
  uint64_t description = 0;
  int32_t owner_type = 0;  // F_OWNER_TID (0), F_OWNER_PID, F_OWNER_PGRP
  int32_t ns_owner = 0;    // the thread, process or group in the container's pid namespace; 0: none
  int32_t signal = 0;      // F_SETSIG (0: SIGIO)

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, description, owner_type, ns_owner, signal);
  }
};

struct FileLocksState {
  std::vector<FileLock> locks;
  std::vector<FileOwner> owners;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, locks, owners);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::FileLock, 1)
BOOST_CLASS_VERSION(ckpt::records::FileOwner, 1)
BOOST_CLASS_VERSION(ckpt::records::FileLocksState, 1)
