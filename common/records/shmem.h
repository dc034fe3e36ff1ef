// Memory objects shared by mappings and fds: shared anonymous memory, memfds, SysV shm segments
// and files deleted while mapped. Each object once, whoever maps or holds it. Section
// kSharedMemObjects (id 0) holds one SharedMemState; kSharedMem (id = SharedObject::id) holds
// the stored contents: the extents' bytes back to back (a deleted file: its whole contents).
// SysV segments keep their contents in the IPC record (kIpcShmData); here only who attached them.
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::records {

enum class SharedObjectKind : uint32_t {
  kAnonymous = 1,    // MAP_SHARED | MAP_ANONYMOUS (or a shared mapping of /dev/zero)
  kMemfd = 2,        // memfd_create(), mapped and/or held as an fd
  kSysvShm = 3,      // a SysV segment attached with shmat()
  kDeletedFile = 4,  // a file deleted while mapped
};

// A byte range of an object whose contents are stored (the rest reads as zeros).
struct SharedExtent {
  uint64_t offset = 0;
  uint64_t length = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, offset, length);
  }
};

struct SharedObject {
  uint64_t id = 0;  // 1, 2, ... unique within the image
  SharedObjectKind kind = SharedObjectKind::kAnonymous;
  uint64_t size = 0;   // st_size at dump time
  std::string name;    // memfd: its name (without "memfd:"); deleted file: its path
  uint32_t seals = 0;  // memfd: F_GET_SEALS
  uint32_t mode = 0, uid = 0, gid = 0;  // memfd and deleted file: st_mode, owner
  int32_t shm_id = -1;                  // SysV: the segment's id
  std::vector<SharedExtent> stored;     // anonymous and memfd: what kSharedMem holds

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, id, kind, size, name, seals, mode, uid, gid, shm_id, stored);
  }
};

// One VMA of one process (records::Vma of kind kSharedObject) backed by an object.
struct SharedMapping {
  int32_t ns_pid = 0;
  uint64_t start = 0;   // Vma::start
  uint64_t object = 0;  // SharedObject::id

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, ns_pid, start, object);
  }
};

// An open file description (records/files.h) opened on an object: one of kind kMemfd on its
// memfd, or one of a file deleted while open that a process maps too (the description's own
// contents are then not stored: the object holds them).
struct ObjectDescription {
  uint64_t description = 0;  // FileDescription::id
  uint64_t object = 0;       // SharedObject::id

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, description, object);
  }
};

struct SharedMemState {
  std::vector<SharedObject> objects;  // ascending ids
  std::vector<SharedMapping> mappings;
  std::vector<ObjectDescription> descriptions;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, objects, mappings, descriptions);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::SharedExtent, 1)
BOOST_CLASS_VERSION(ckpt::records::SharedObject, 1)
BOOST_CLASS_VERSION(ckpt::records::SharedMapping, 1)
BOOST_CLASS_VERSION(ckpt::records::ObjectDescription, 1)
BOOST_CLASS_VERSION(ckpt::records::SharedMemState, 1)
