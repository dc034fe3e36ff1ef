#include "restore/fd_kinds.h"

#include <fcntl.h>
#include <mqueue.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/error.h"
#include "restore/event_files.h"
#include "restore/files_deleted.h"
#include "restore/files_removed_dirs.h"
#include "restore/ns_files.h"
#include "restore/pipes.h"
#include "restore/sockets.h"

namespace ckpt::restore {

namespace {

using records::FileDescription;
using records::FileKind;

UniqueFd open_path(const FileDescription& d) {
  UniqueFd fd(::open(d.path.c_str(), reopen_flags(d.flags)));
  if (!fd && errno == ENOENT) fail("restore files: {} no longer exists", d.path);
  if (!fd) throw_errno("restore files: open({})", d.path);
  return fd;
}

void check_same_type(int fd, const FileDescription& d) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("fstat({})", d.path);
  if ((st.st_mode & S_IFMT) != (d.mode & S_IFMT))
    fail("restore files: {} is no longer of the same file type", d.path);
  if (d.kind == FileKind::kDevice && st.st_rdev != d.rdev)
    fail("restore files: {} is now device {}:{}, was {}:{}", d.path, major(st.st_rdev),
         minor(st.st_rdev), major(d.rdev), minor(d.rdev));
}

// A device node removed while open: made again at its old name, opened and removed.
UniqueFd open_removed_device(const FileDescription& d) {
  UniqueFd fd = open_removed_node(
      d.path, ".ckpt-removed-" + std::to_string(d.id), "device",
      [&](const char* at) {
        return ::mknod(at, S_IFCHR | (d.mode & 07777), static_cast<dev_t>(d.rdev));
      },
      [&](const char* at) { return UniqueFd(::open(at, reopen_flags(d.flags))); });
  if (!fd) throw_errno("restore files: open removed device {}", d.path);
  if (::fchown(fd.get(), d.uid, d.gid) != 0) throw_errno("restore files: chown {}", d.path);
  return fd;
}

UniqueFd open_console(const FileDescription& d, const FilesRestoreContext& context) {
  UniqueFd fd;
  if (context.console_fd >= 0) {
    // The caller's console description itself (no /proc needed): all console fds share it.
    fd = UniqueFd(::fcntl(context.console_fd, F_DUPFD_CLOEXEC, 0));
    if (!fd) throw_errno("restore files: dup console fd {}", context.console_fd);
    int status = static_cast<int>(d.flags) & (O_APPEND | O_NONBLOCK);
    if (::fcntl(fd.get(), F_SETFL, status) != 0) throw_errno("restore files: console flags");
  } else {
    fd = UniqueFd(::open(context.console_path.c_str(), reopen_flags(d.flags)));
    if (!fd) throw_errno("restore files: open console {}", context.console_path);
  }
  // A new console: carry on writing at its end, not at the old console's offset.
  if (!(d.flags & O_APPEND) && (d.flags & O_ACCMODE) != O_RDONLY) ::lseek(fd.get(), 0, SEEK_END);
  return fd;
}

UniqueFd open_eventfd(const FileDescription& d) {
  int flags = EFD_CLOEXEC;
  if (d.flags & O_NONBLOCK) flags |= EFD_NONBLOCK;
  if (d.eventfd_semaphore) flags |= EFD_SEMAPHORE;
  UniqueFd fd(::eventfd(0, flags));
  if (!fd) throw_errno("eventfd");
  if (d.eventfd_count != 0) {
    uint64_t count = d.eventfd_count;
    if (::write(fd.get(), &count, sizeof count) != sizeof count)
      throw_errno("restore eventfd count {}", count);
  }
  return fd;
}

}  // namespace

int reopen_flags(uint32_t recorded_flags) {
  int flags = static_cast<int>(recorded_flags);
  flags &= ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC);
  if ((flags & O_TMPFILE) == O_TMPFILE) flags &= ~O_TMPFILE;  // opened unnamed: a plain file now
  return flags | O_NOCTTY | O_CLOEXEC;
}

UniqueFd reopen(int fd, uint32_t recorded_flags) {
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  UniqueFd reopened(::open(path.c_str(), reopen_flags(recorded_flags)));
  if (!reopened) throw_errno("reopen {} with flags 0{:o}", path, recorded_flags);
  return reopened;
}

void restore_offset(int fd, const FileDescription& d) {
  if ((d.flags & O_PATH) || d.pos == 0) return;
  if (::lseek(fd, d.pos, SEEK_SET) != d.pos) throw_errno("lseek({}, {})", d.path, d.pos);
}

namespace {

UniqueFd open_by_path(const FileDescription& d) {
  UniqueFd fd = open_path(d);
  check_same_type(fd.get(), d);
  if (d.kind != FileKind::kDevice) restore_offset(fd.get(), d);
  return fd;
}

UniqueFd open_regular(const FileDescription& d, const OpenSources& s) {
  return d.deleted ? s.deleted.open_description(d) : open_by_path(d);
}

UniqueFd open_directory(const FileDescription& d, const OpenSources&) {
  return d.deleted ? open_removed_directory(d) : open_by_path(d);
}

UniqueFd open_device(const FileDescription& d, const OpenSources&) {
  return d.deleted ? open_removed_device(d) : open_by_path(d);
}

UniqueFd open_mqueue(const FileDescription& d, const OpenSources&) {
  int flags = static_cast<int>(d.flags) & (O_ACCMODE | O_NONBLOCK);
  UniqueFd fd(::mq_open(d.path.c_str(), flags | O_CLOEXEC));
  if (!fd) throw_errno("restore files: mq_open({})", d.path);
  return fd;
}

// Kinds whose state the restore of their resource made before open_files() (ttys, shmem) or
// that open_files() reads first (sockets, TCP connections): its opener (files_kind_openers.h),
// which open_description() tried before the table.
UniqueFd open_by_added_opener(const FileDescription& d, const OpenSources&) {
  const records::FileKindInfo* info = records::file_kind_info(d.kind);
  fail("restore files: description {} ({}) has no opener: the image lacks its section {}", d.id,
       records::file_kind_name(d.kind), image::section_name(info->section));
}

// Opened by each process that holds it, once the tree is forked (restore/pidfds.h).
UniqueFd open_by_holders(const FileDescription&, const OpenSources&) {
  return UniqueFd();
}

struct KindOpener {
  FileKind kind;
  UniqueFd (*open)(const FileDescription&, const OpenSources&);
};

using D = const FileDescription&;
using S = const OpenSources&;

// One row a kind of common/records/file_kinds.def.
const KindOpener kOpeners[] = {
    {FileKind::kRegular, open_regular},      // deleted ones from kFileData (files_deleted.h)
    {FileKind::kDirectory, open_directory},  // removed ones made again (files_removed_dirs.h)
    {FileKind::kPipe, [](D d, S s) { return s.pipes.open_description(d); }},
    {FileKind::kFifo, [](D d, S s) { return s.pipes.open_description(d); }},
    {FileKind::kDevice, open_device},
    {FileKind::kConsole, [](D d, S s) { return open_console(d, s.context); }},
    {FileKind::kEventfd, [](D d, S) { return open_eventfd(d); }},
    {FileKind::kMqueue, open_mqueue},
    {FileKind::kTcpListen, [](D d, S) { return open_listening_socket(d); }},
    {FileKind::kUnixSocket, open_by_added_opener},     // restore/sockets.h
    {FileKind::kUdpSocket, open_by_added_opener},      // restore/sockets.h
    {FileKind::kTcpConnection, open_by_added_opener},  // restore/tcp_connections.h
    {FileKind::kEpoll, [](D d, S s) { return s.events.open(d); }},
    {FileKind::kTimerfd, [](D d, S s) { return s.events.open(d); }},
    {FileKind::kSignalfd, [](D d, S s) { return s.events.open(d); }},
    {FileKind::kInotify, [](D d, S s) { return s.events.open(d, s.opened); }},
    {FileKind::kFanotify, [](D d, S s) { return s.events.open(d); }},
    {FileKind::kNetlinkSocket, [](D d, S s) { return s.events.open(d); }},
    {FileKind::kMemfd, open_by_added_opener},      // restore/shmem.h
    {FileKind::kPtyMaster, open_by_added_opener},  // restore/ttys.h
    {FileKind::kPtySlave, open_by_added_opener},   // restore/ttys.h
    {FileKind::kProcFile, [](D d, S s) { return s.events.open(d); }},  // /proc/<pid>: by holders
    {FileKind::kTcpSocket, [](D d, S) { return open_tcp_socket(d); }},
    {FileKind::kPidfd, open_by_holders},
    {FileKind::kNamespace, [](D d, S) { return open_namespace_file(d); }},
};

const KindOpener* opener_of(FileKind kind) {
  for (const KindOpener& row : kOpeners)
    if (row.kind == kind) return &row;
  return nullptr;
}

}  // namespace

UniqueFd open_description(const FileDescription& d, const OpenSources& sources) {
  if (const OpenDescription* open = sources.context.openers.find(d)) return (*open)(d);
  const KindOpener* row = opener_of(d.kind);
  if (!row) fail("restore files: description {} is of an unknown kind {}", d.id,
                 static_cast<uint32_t>(d.kind));
  return row->open(d, sources);
}

bool has_opener(FileKind kind) {
  return opener_of(kind) != nullptr;
}

}  // namespace ckpt::restore
