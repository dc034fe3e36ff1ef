#include "ckpt/fd_kinds.h"

#include <sys/vfs.h>

#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string_view>

#include "ckpt/event_files.h"
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

FileKind kind_of(const FdFacts& facts, const ConsoleId& console) {
  const struct stat& st = facts.st;
  if (facts.link == "anon_inode:[eventfd]") return FileKind::kEventfd;
  if (auto kind = event_file_kind(facts)) return *kind;
  if (facts.listening) return FileKind::kTcpListen;
  if (facts.tcp_connection) return FileKind::kTcpConnection;
  if (facts.socket_kind) return *facts.socket_kind;
  if (facts.link.empty() || facts.link[0] != '/') {
    if (S_ISFIFO(st.st_mode) && facts.link.starts_with("pipe:[")) return FileKind::kPipe;
    unsupported(facts);
  }
  if (facts.link.starts_with("/memfd:")) return FileKind::kMemfd;  // ckpt/shmem.cc
  if (console.known && st.st_dev == console.dev && st.st_ino == console.ino)
    return FileKind::kConsole;
  if (facts.on_mqueue_fs) return FileKind::kMqueue;
  if (S_ISREG(st.st_mode)) return FileKind::kRegular;
  if (S_ISDIR(st.st_mode)) return FileKind::kDirectory;  // removed ones too
  // An O_PATH fd on a symlink itself (O_NOFOLLOW) is reopened by path like a file.
  if (S_ISLNK(st.st_mode) && (facts.info.flags & O_PATH) && st.st_nlink > 0)
    return FileKind::kRegular;
  if (S_ISFIFO(st.st_mode)) return FileKind::kFifo;  // removed ones too
  if (S_ISCHR(st.st_mode) && is_supported_device(st.st_rdev)) return FileKind::kDevice;
  if (st.st_nlink == 0) unsupported(facts, " (deleted while open)");
  if (auto pty = pty_kind(st)) return *pty;
  if (S_ISCHR(st.st_mode)) {
    unsupported(facts,
                fmt::format(" (character device {}:{})", major(st.st_rdev), minor(st.st_rdev)));
  }
  unsupported(facts);
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

FileDescription describe_fd(const FdFacts& facts, const std::string& root,
                            const ConsoleId& console) {
  FileDescription d;
  d.kind = kind_of(facts, console);
  d.flags = facts.info.flags & ~static_cast<uint32_t>(O_CLOEXEC);
  d.pos = facts.info.pos;
  d.mode = facts.st.st_mode;
  d.uid = facts.st.st_uid;
  d.gid = facts.st.st_gid;
  d.size = static_cast<uint64_t>(facts.st.st_size);
  switch (d.kind) {
    case FileKind::kPipe:
      d.pipe_id = facts.st.st_ino;
      break;
    case FileKind::kTcpListen:
      d.socket = *facts.listening;
      break;
    case FileKind::kTcpSocket:
      d.socket = *facts.closed_tcp;
      break;
    case FileKind::kTcpConnection:  // state in section kTcpConnections (ckpt/tcp_connections.h)
      break;
    case FileKind::kUnixSocket:
    case FileKind::kUdpSocket:
      break;  // state in the sockets' own sections (ckpt/sockets.h dump_sockets)
    case FileKind::kEventfd:
      if (!facts.info.eventfd_count)
        fail("pid {} fd {}: eventfd without eventfd-count", facts.pid, facts.fd);
      d.eventfd_count = *facts.info.eventfd_count;
      d.eventfd_semaphore = facts.info.eventfd_semaphore;
      break;
    default:
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
      break;
  }
  return d;
}

}  // namespace ckpt::dump
