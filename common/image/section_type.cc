#include "common/image/section_type.h"
#include "common/records/cpu.h"

namespace ckpt::image {

std::string_view section_name(SectionType type) {
  if (type == records::kCpuFeaturesSection) return "cpu-features";  // not in the enum yet
  switch (type) {
    case SectionType::kConfig:
      return "config";
    case SectionType::kSignature:
      return "signature";
    case SectionType::kUts:
      return "uts";
    case SectionType::kProcessTree:
      return "process-tree";
    case SectionType::kCgroups:
      return "cgroups";
    case SectionType::kLineage:
      return "lineage";
    case SectionType::kStreamOrder:
      return "stream-order";
    case SectionType::kAudit:
      return "audit";
    case SectionType::kMm:
      return "mm";
    case SectionType::kPagemap:
      return "pagemap";
    case SectionType::kPages:
      return "pages";
    case SectionType::kThreads:
      return "threads";
    case SectionType::kProcess:
      return "process";
    case SectionType::kFiles:
      return "files";
    case SectionType::kFileData:
      return "file-data";
    case SectionType::kSharedMem:
      return "shared-mem";
    case SectionType::kSharedMemObjects:
      return "shared-mem-objects";
    case SectionType::kUnixSockets:
      return "unix-sockets";
    case SectionType::kInetSockets:
      return "inet-sockets";
    case SectionType::kTcpConnections:
      return "tcp-connections";
    case SectionType::kEventFiles:
      return "event-files";
    case SectionType::kPosixTimers:
      return "posix-timers";
    case SectionType::kSocketData:
      return "socket-data";
    case SectionType::kSemUndo:
      return "sem-undo";
    case SectionType::kFileLocks:
      return "file-locks";
    case SectionType::kNetNs:
      return "netns";
    case SectionType::kIpc:
      return "ipc";
    case SectionType::kMounts:
      return "mounts";
    case SectionType::kTime:
      return "time";
    case SectionType::kTtys:
      return "ttys";
    case SectionType::kIpcShmData:
      return "ipc-shm-data";
    case SectionType::kMountData:
      return "mount-data";
    case SectionType::kTrailer:
      return "trailer";
  }
  return "unknown";
}

}  // namespace ckpt::image
