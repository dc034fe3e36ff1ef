// The IPC namespace: SysV shared memory, message queues, semaphore sets, POSIX message queues
// and the ipc sysctls. Objects keep their ids so that later records (attachments, SEM_UNDO)
// can refer to them by id. Shared-memory contents are not in this record but in kIpcShmData
// sections (id = shm id), holding the stored pages in extent order.
#pragma once

#include "common/records/fields.h"
#include "common/records/page_run.h"

#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ckpt::records {

// kern_ipc_perm as user space sees it.
struct IpcPerm {
  int32_t key = 0;
  int32_t id = 0;
  uint32_t uid = 0, gid = 0, cuid = 0, cgid = 0;
  uint32_t mode = 0;  // the low 9 permission bits (SHM_LOCKED/SHM_DEST kept apart)

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, key, id, uid, gid, cuid, cgid, mode);
  }
};

struct ShmSegment {
  IpcPerm perm;
  uint64_t size = 0;
  bool locked = false;     // SHM_LOCK'ed
  bool destroyed = false;  // IPC_RMID'ed while still attached (SHM_DEST)
  uint64_t page_size = 4096;
  std::vector<PageRun> stored;  // page indexes in the kIpcShmData section; the rest are zero

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, perm, size, locked, destroyed, page_size, stored);
  }
};

struct SysvMessage {
  int64_t type = 0;
  std::string text;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, type, text);
  }
};

struct MsgQueue {
  IpcPerm perm;
  uint64_t qbytes = 0;
  std::vector<SysvMessage> messages;  // queue order

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, perm, qbytes, messages);
  }
};

struct SemSet {
  IpcPerm perm;
  std::vector<uint16_t> values;  // one per semaphore

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, perm, values);
  }
};

struct PosixMessage {
  uint32_t priority = 0;
  std::string text;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, priority, text);
  }
};

struct PosixMq {
  std::string name;  // without the leading '/'
  uint32_t uid = 0, gid = 0, mode = 0;
  int64_t maxmsg = 0, msgsize = 0;
  std::vector<PosixMessage> messages;  // receive order (priority, then FIFO)

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, name, uid, gid, mode, maxmsg, msgsize, messages);
  }
};

struct IpcNamespace {
  // "kernel/shmmax", "fs/mqueue/msg_max", ... (relative to /proc/sys) -> value as read.
  std::map<std::string, std::string> sysctls;
  std::vector<ShmSegment> shm;
  std::vector<MsgQueue> msg;
  std::vector<SemSet> sem;
  std::vector<PosixMq> mqueues;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, sysctls, shm, msg, sem, mqueues);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::IpcPerm, 1)
BOOST_CLASS_VERSION(ckpt::records::ShmSegment, 1)
BOOST_CLASS_VERSION(ckpt::records::SysvMessage, 1)
BOOST_CLASS_VERSION(ckpt::records::MsgQueue, 1)
BOOST_CLASS_VERSION(ckpt::records::SemSet, 1)
BOOST_CLASS_VERSION(ckpt::records::PosixMessage, 1)
BOOST_CLASS_VERSION(ckpt::records::PosixMq, 1)
BOOST_CLASS_VERSION(ckpt::records::IpcNamespace, 1)
