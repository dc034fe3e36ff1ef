// The kinds of section an image holds. Values are part of the on-disk format: never renumber.
// Ranges: 1-15 image and container, 16-63 processes, 64-95 network, 96-127 ipc/mounts/time/ttys.
#pragma once

#include <cstdint>
#include <string_view>

namespace ckpt::image {

enum class SectionType : uint32_t {
  kConfig = 1,       // records/container.h ContainerConfig
  kUts = 2,          // records/uts.h UtsState
  kProcessTree = 3,  // records/tree.h ProcessTree
  kCgroups = 4,      // records/cgroup.h CgroupTree
  kLineage = 5,      // records/lineage.h Lineage: the image's identity and parent (format 2)
  // records/stream_order.h StreamOrder (empty from older ckpt versions), the first section of an
  // image laid out to be restored while it is read (`dump -o -`):
  // every section but kPages, kSignature and kTrailer comes before the first kPages section, the
  // page streams in the order of the process tree.
  kStreamOrder = 6,
  kAudit = 15,       // records/audit.h AuditFacts: what /proc showed of each process (id 0)

  // 16-63: processes (id = pid on the host at dump time unless said otherwise)
  kMm = 16,                // records/mm.h: VMAs, mm fields, auxv
  kPagemap = 17,           // records/mm.h: which pages of which VMA are stored
  kPages = 18,             // chunked raw page stream, in pagemap order
  kThreads = 19,           // records/threads.h: registers, xsave, sigmask, rseq per thread
  kProcess = 20,           // records/process.h: creds, rlimits, signals, timers, misc
  kFiles = 21,             // records/files.h: fd table and open file descriptions
  kFileData = 22,          // contents of deleted files, pipe buffers (id = file record id)
  kSharedMem = 23,         // contents of shared anonymous / memfd memory (id = object id)
  kSharedMemObjects = 24,  // shared anonymous / memfd / SysV shm objects and who maps them (id 0)
  kUnixSockets = 25,       // AF_UNIX sockets, their peers and queued data (id 0)
  kInetSockets = 26,       // UDP sockets (id 0)
  kTcpConnections = 27,    // established TCP connections, repaired on restore (id 0)
  kEventFiles = 28,        // epoll, timerfd, signalfd, inotify, netlink sockets (id 0)
  kPosixTimers = 29,       // timer_create() timers of one process
  kSocketData = 30,        // queued bytes of a socket (id = socket record id)
  kSemUndo = 31,           // records/sem_undo.h: SEM_UNDO adjustments of one process
  kFileLocks = 36,         // records/file_locks.h: file locks, leases, F_SETOWN/F_SETSIG (id 0)

  // 64-95: network namespace
  kNetNs = 64,  // records/net.h NetNamespace

  // 96-127: ipc, mounts, time, ttys
  kIpc = 96,  // records/ipc.h IpcNamespace
  kMounts = 97,
  kTime = 98,
  kTtys = 99,
  kIpcShmData = 100,  // stored pages of a SysV shm segment (id = shm id), see ShmSegment
  kMountData = 101,   // contents of a tmpfs or of the rootfs (id = mount record id)

  kSignature = 0xfffe,  // HMAC-SHA256 of every byte before it (image/signing.h); just before the trailer
  kTrailer = 0xffff,    // the index of all sections; always last
};

// A short lower-case name for people and for `inspect --json` ("config", "pages", ...).
std::string_view section_name(SectionType type);

}  // namespace ckpt::image
