// The open files of a container: every open file description once, the pipes behind them, and
// each process's fd table pointing at descriptions. Section kFiles (id 0) holds one FilesState;
// section kFileData (id = FileDescription::data_id or PipeObject::data_id) holds contents.
#pragma once

#include "common/records/fields.h"
#include "common/records/file_kinds.h"
#include "common/records/socket_options.h"

#include <sys/stat.h>

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::records {

// A listening TCP socket (or, for kTcpSocket, a closed one). Connections waiting in its accept
// queue at dump time are not kept.
struct ListeningSocket {
  int32_t family = 0;  // AF_INET, AF_INET6
  int32_t protocol = 0;
  std::string address;  // the bound sockaddr, as getsockname() returned it
  int32_t backlog = 0;  // listen(2) backlog (sk_max_ack_backlog)
  bool reuse_address = false, reuse_port = false, v6_only = false, no_delay = false,
       keep_alive = false;
  SocketOptions options;  // version 2

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, family, protocol, address, backlog, reuse_address, reuse_port, v6_only, no_delay,
           keep_alive);
    if (version >= 2) fields(ar, options);
  }
};

// One open file description: what open(2) created, shared by every fd dup'ed or inherited from it.
struct FileDescription {
  uint64_t id = 0;  // 1, 2, ... unique within the image
  FileKind kind = FileKind::kRegular;
  uint32_t flags = 0;  // status flags and access mode as open(2) takes them, without O_CLOEXEC
  int64_t pos = 0;     // file offset
  std::string path;    // as the process sees it (its root and mount namespace); empty if none
  uint32_t mode = 0;   // st_mode of the file
  uint32_t uid = 0;    // owner, for files recreated from data
  uint32_t gid = 0;
  uint64_t size = 0;     // st_size at dump time
  uint64_t rdev = 0;     // devices: st_rdev
  bool deleted = false;  // unlinked while open: contents in kFileData data_id
  uint64_t data_id = 0;  // deleted files: the kFileData section of the contents (shared per inode)
  uint64_t pipe_id = 0;  // pipes and FIFOs: PipeObject::id
  uint64_t eventfd_count = 0;
  bool eventfd_semaphore = false;
  ListeningSocket socket;  // kTcpListen (version 2)
  // Deleted files (version 3): access and modification times, and the data ranges stored in
  // kFileData (offset, length, ...; holes left out; none: the data from offset 0). Older images:
  // the times of the restore (UTIME_OMIT).
  int64_t atime_sec = 0, atime_nsec = UTIME_OMIT, mtime_sec = 0, mtime_nsec = UTIME_OMIT;
  std::vector<uint64_t> extents;
  int32_t target_pid = 0;  // kPidfd (version 4): the process it refers to, its pid in the container

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, id, kind, flags, pos, path, mode, uid, gid, size, rdev, deleted, data_id, pipe_id,
           eventfd_count, eventfd_semaphore);
    if (version >= 2) fields(ar, socket);
    if (version >= 3) fields(ar, atime_sec, atime_nsec, mtime_sec, mtime_nsec, extents);
    if (version >= 4) fields(ar, target_pid);
  }
};

// One pipe (unnamed, or the pipe of a FIFO), shared by all descriptions with its pipe_id.
struct PipeObject {
  uint64_t id = 0;         // the pipe's inode number at dump time
  uint32_t capacity = 0;   // F_GETPIPE_SZ
  uint64_t data_size = 0;  // bytes buffered in it, stored in kFileData data_id
  uint64_t data_id = 0;    // 0 when empty
  std::string fifo_path;   // FIFOs: the path of the FIFO; empty for unnamed pipes
  // Version 2: a pipe in packet mode (O_DIRECT): the size of each buffered packet, in order.
  std::vector<uint32_t> packets;

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, id, capacity, data_size, data_id, fifo_path);
    if (version >= 2) fields(ar, packets);
  }
};

struct FdEntry {
  int32_t fd = 0;
  uint64_t description = 0;  // FileDescription::id
  bool cloexec = false;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, fd, description, cloexec);
  }
};

// The fd table of one process.
struct ProcessFiles {
  int32_t host_pid = 0;      // at dump time
  int32_t ns_pid = 0;        // inside the container's pid namespace
  std::vector<FdEntry> fds;  // ascending fd order

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, host_pid, ns_pid, fds);
  }
};

struct FilesState {
  std::vector<FileDescription> descriptions;
  std::vector<PipeObject> pipes;
  std::vector<ProcessFiles> processes;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, descriptions, pipes, processes);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::ListeningSocket, 2)
BOOST_CLASS_VERSION(ckpt::records::FileDescription, 4)
BOOST_CLASS_VERSION(ckpt::records::PipeObject, 2)
BOOST_CLASS_VERSION(ckpt::records::FdEntry, 1)
BOOST_CLASS_VERSION(ckpt::records::ProcessFiles, 1)
BOOST_CLASS_VERSION(ckpt::records::FilesState, 1)
