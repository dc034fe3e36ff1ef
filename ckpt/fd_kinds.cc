#include "ckpt/fd_kinds.h"

#include <linux/magic.h>
#include <sys/vfs.h>

#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string_view>

#include "ckpt/event_files.h"
#include "ckpt/pidfds.h"
#include "ckpt/sockets.h"
#include "ckpt/tcp_connections.h"
#include "ckpt/ttys.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/proc/mountinfo.h"

namespace ckpt::dump {

namespace {

using records::FileDescription;
using records::FileKind;

constexpr std::string_view kDeletedSuffix = " (deleted)";

std::string proc_fd_path(pid_t pid, int fd) {
  return "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
}

[[noreturn]] void unsupported(const FdFacts& facts, std::string_view why = {}) {
  fail(ErrorKind::kRefused, "pid {} fd {}: unsupported file type {}{}", facts.pid, facts.fd,
       facts.link, why);
}

bool is_supported_device(dev_t rdev) {
  if (major(rdev) != 1) return false;
  unsigned minor_number = minor(rdev);
  return minor_number == 3 || minor_number == 5 || minor_number == 8 || minor_number == 9;
}

// The path as the process sees it: without the " (deleted)" mark, relative to its root.
std::string process_path(std::string link, bool deleted, const std::string& root) {
  if (deleted && link.ends_with(kDeletedSuffix)) link.resize(link.size() - kDeletedSuffix.size());
  return proc::path_in_root(link, root);
}

bool is_path(const FdFacts& facts) {
  return !facts.link.empty() && facts.link[0] == '/';
}

bool is_console(const FdFacts& facts, const FdScope& scope) {
  const ConsoleId& console = scope.console;
  return is_path(facts) && console.known && facts.st.st_dev == console.dev &&
         facts.st.st_ino == console.ino;
}

bool is_regular(const FdFacts& facts) {
  const struct stat& st = facts.st;
  if (!is_path(facts)) return false;
  // An O_PATH fd on a symlink itself (O_NOFOLLOW) is reopened by path like a file.
  return S_ISREG(st.st_mode) ||
         (S_ISLNK(st.st_mode) && (facts.info.flags & O_PATH) && st.st_nlink > 0);
}

bool is_event_file(const FdFacts& facts, std::string_view link) {
  return facts.link == link;
}

bool is_proc_file(const FdFacts& facts) {
  return is_path(facts) && (facts.fs_magic == PROC_SUPER_MAGIC || facts.fs_magic == SYSFS_MAGIC);
}

bool is_pty(const FdFacts& facts, FileKind kind) {
  if (!is_path(facts) || facts.st.st_nlink == 0) return false;
  auto pty = pty_kind(facts.st);
  return pty && *pty == kind;
}

// The kind's fields beyond those every description has. Paths: as the process sees them.
void describe_by_path(const FdFacts& facts, const FdScope&, FileDescription& d,
                      const std::string& root) {
  d.deleted = (d.kind == FileKind::kRegular || d.kind == FileKind::kDirectory ||
               d.kind == FileKind::kFifo || d.kind == FileKind::kDevice) &&
              (facts.st.st_nlink == 0 || facts.link.ends_with(kDeletedSuffix));
  d.path = process_path(facts.link, d.deleted, root);
  if (d.deleted) {
    d.atime_sec = facts.st.st_atim.tv_sec;
    d.atime_nsec = facts.st.st_atim.tv_nsec;
    d.mtime_sec = facts.st.st_mtim.tv_sec;
    d.mtime_nsec = facts.st.st_mtim.tv_nsec;
  }
  d.rdev = facts.st.st_rdev;
  if (d.kind == FileKind::kFifo) d.pipe_id = facts.st.st_ino;
}

// State in the kind's own section, written by its collector (see file_kinds.def).
void describe_nothing(const FdFacts&, const FdScope&, FileDescription&, const std::string&) {}

void describe_pipe(const FdFacts& facts, const FdScope&, FileDescription& d, const std::string&) {
  d.pipe_id = facts.st.st_ino;
}

void describe_eventfd(const FdFacts& facts, const FdScope&, FileDescription& d,
                      const std::string&) {
  if (!facts.info.eventfd_count)
    fail("pid {} fd {}: eventfd without eventfd-count", facts.pid, facts.fd);
  d.eventfd_count = *facts.info.eventfd_count;
  d.eventfd_semaphore = facts.info.eventfd_semaphore;
}

void describe_listening(const FdFacts& facts, const FdScope&, FileDescription& d,
                        const std::string&) {
  d.socket = *facts.listening;
}

void describe_closed_tcp(const FdFacts& facts, const FdScope&, FileDescription& d,
                         const std::string&) {
  d.socket = *facts.closed_tcp;
}

void describe_pidfd_row(const FdFacts& facts, const FdScope& scope, FileDescription& d,
                        const std::string&) {
  d.target_pid = pidfd_target(facts, scope.ns_pids);
}

void describe_namespace_row(const FdFacts& facts, const FdScope& scope, FileDescription& d,
                            const std::string&) {
  d.path = namespace_file_type(facts, scope.namespaces);
}

// One row a kind of common/records/file_kinds.def, in the order the kinds are tried: the first
// row whose `is` holds gives an fd its kind; `describe` fills the kind's fields of the record.
struct KindRow {
  FileKind kind;
  bool (*is)(const FdFacts&, const FdScope&);
  void (*describe)(const FdFacts&, const FdScope&, FileDescription&, const std::string& root);
};

using F = const FdFacts&;
using S = const FdScope&;

const KindRow kKinds[] = {
    {FileKind::kEventfd, [](F f, S) { return is_event_file(f, "anon_inode:[eventfd]"); },
     describe_eventfd},
    {FileKind::kEpoll, [](F f, S) { return is_event_file(f, "anon_inode:[eventpoll]"); },
     describe_by_path},
    {FileKind::kTimerfd, [](F f, S) { return is_event_file(f, "anon_inode:[timerfd]"); },
     describe_by_path},
    {FileKind::kSignalfd, [](F f, S) { return is_event_file(f, "anon_inode:[signalfd]"); },
     describe_by_path},
    {FileKind::kInotify, [](F f, S) { return is_event_file(f, "anon_inode:inotify"); },
     describe_by_path},
    {FileKind::kFanotify, [](F f, S) { return is_event_file(f, "anon_inode:[fanotify]"); },
     describe_by_path},
    {FileKind::kNetlinkSocket,
     [](F f, S) {
       return f.link.starts_with("socket:[") && is_netlink_socket(f.pid, f.st.st_ino);
     },
     describe_by_path},
    {FileKind::kProcFile, [](F f, S) { return is_proc_file(f); }, describe_by_path},
    {FileKind::kPidfd, [](F f, S) { return is_pidfd(f); }, describe_pidfd_row},
    {FileKind::kNamespace, [](F f, S) { return is_namespace_file(f); }, describe_namespace_row},
    {FileKind::kTcpListen, [](F f, S) { return f.listening.has_value(); }, describe_listening},
    {FileKind::kTcpConnection, [](F f, S) { return f.tcp_connection; }, describe_nothing},
    {FileKind::kUnixSocket, [](F f, S) { return f.socket_kind == FileKind::kUnixSocket; },
     describe_nothing},
    {FileKind::kUdpSocket, [](F f, S) { return f.socket_kind == FileKind::kUdpSocket; },
     describe_nothing},
    {FileKind::kTcpSocket, [](F f, S) { return f.socket_kind == FileKind::kTcpSocket; },
     describe_closed_tcp},
    {FileKind::kPipe,
     [](F f, S) { return S_ISFIFO(f.st.st_mode) && f.link.starts_with("pipe:["); },
     describe_pipe},
    // Below: files with a path only (anything else left is refused).
    {FileKind::kMemfd, [](F f, S) { return f.link.starts_with("/memfd:"); },  // ckpt/shmem.cc
     describe_by_path},
    {FileKind::kConsole, is_console, describe_by_path},
    {FileKind::kMqueue, [](F f, S) { return is_path(f) && f.on_mqueue_fs; }, describe_by_path},
    {FileKind::kRegular, [](F f, S) { return is_regular(f); }, describe_by_path},
    {FileKind::kDirectory, [](F f, S) { return is_path(f) && S_ISDIR(f.st.st_mode); },  // removed too
     describe_by_path},
    {FileKind::kFifo, [](F f, S) { return is_path(f) && S_ISFIFO(f.st.st_mode); },  // removed too
     describe_by_path},
    {FileKind::kDevice,
     [](F f, S) {
       return is_path(f) && S_ISCHR(f.st.st_mode) && is_supported_device(f.st.st_rdev);
     },
     describe_by_path},
    {FileKind::kPtyMaster, [](F f, S) { return is_pty(f, FileKind::kPtyMaster); },
     describe_by_path},
    {FileKind::kPtySlave, [](F f, S) { return is_pty(f, FileKind::kPtySlave); }, describe_by_path},
};

// An fd no row takes: refused, naming why where /proc says.
[[noreturn]] void refuse(const FdFacts& facts) {
  const struct stat& st = facts.st;
  if (!is_path(facts)) unsupported(facts);
  if (st.st_nlink == 0) unsupported(facts, " (deleted while open)");
  if (S_ISCHR(st.st_mode)) {
    unsupported(facts,
                fmt::format(" (character device {}:{})", major(st.st_rdev), minor(st.st_rdev)));
  }
  unsupported(facts);
}

const KindRow& row_of(const FdFacts& facts, const FdScope& scope) {
  for (const KindRow& row : kKinds)
    if (row.is(facts, scope)) return row;
  refuse(facts);
}

}  // namespace

FdFacts read_fd_facts(pid_t pid, int fd) {
  FdFacts facts;
  facts.pid = pid;
  facts.fd = fd;
  std::string path = proc_fd_path(pid, fd);
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) throw_errno("readlink({})", path);
  facts.link.assign(buf, static_cast<size_t>(n));
  if (::stat(path.c_str(), &facts.st) != 0) throw_errno("stat({})", path);
  struct statfs fs_info {};
  constexpr long kMqueueMagic = 0x19800202;
  if (::statfs(path.c_str(), &fs_info) == 0) facts.fs_magic = fs_info.f_type;
  facts.on_mqueue_fs = facts.fs_magic == kMqueueMagic;
  facts.info = proc::read_fdinfo(pid, fd);
  if (facts.link.starts_with("socket:[")) facts.listening = probe_listening_socket(pid, fd);
  if (facts.link.starts_with("socket:[") && !facts.listening)
    facts.tcp_connection = is_tcp_connection(pid, fd);
  if (facts.link.starts_with("socket:[")) facts.socket_kind = socket_kind_of(pid, fd);
  if (facts.socket_kind == FileKind::kTcpSocket) facts.closed_tcp = read_closed_tcp_socket(pid, fd);
  if (!(facts.info.flags & O_PATH)) facts.owner = read_fd_owner(pid, fd);
  return facts;
}

FileDescription describe_fd(const FdFacts& facts, const std::string& root, const FdScope& scope) {
  const KindRow& row = row_of(facts, scope);
  FileDescription d;
  d.kind = row.kind;
  d.flags = facts.info.flags & ~static_cast<uint32_t>(O_CLOEXEC);
  d.pos = facts.info.pos;
  d.mode = facts.st.st_mode;
  d.uid = facts.st.st_uid;
  d.gid = facts.st.st_gid;
  d.size = static_cast<uint64_t>(facts.st.st_size);
  row.describe(facts, scope, d, root);
  return d;
}

bool has_describer(FileKind kind) {
  for (const KindRow& row : kKinds)
    if (row.kind == kind) return true;
  return false;
}

}  // namespace ckpt::dump
