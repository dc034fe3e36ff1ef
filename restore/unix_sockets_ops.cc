#include "restore/unix_sockets_ops.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>

#include "common/error.h"
#include "common/log.h"
#include "restore/sockets_options.h"

namespace ckpt::restore {

namespace {

constexpr uint32_t kReceiveShutdown = 1, kSendShutdown = 2;

struct UnixAddress {
  sockaddr_un addr{};
  socklen_t len = 0;
};

UnixAddress address_of(const std::string& name) {
  UnixAddress a;
  a.addr.sun_family = AF_UNIX;
  bool path = !name.empty() && name[0] != '\0';
  size_t size = name.size() + (path ? 1 : 0);
  if (size > sizeof a.addr.sun_path) fail("unix socket name {} is too long", printable_name(name));
  name.copy(a.addr.sun_path, name.size());
  a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + size);
  return a;
}

bool is_path(const std::string& name) {
  return !name.empty() && name[0] != '\0';
}

// A socket file at `path` from the dumped socket (or a copy left running) is replaced.
void remove_stale_socket_file(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  if (!S_ISSOCK(st.st_mode)) fail("restore unix socket: {} exists and is not a socket", path);
  if (::unlink(path.c_str()) != 0) throw_errno("unlink stale socket file {}", path);
}

// In `dir` while it lives (nothing when empty): a relative name is bound where it was.
class InDirectory {
 public:
  explicit InDirectory(const std::string& dir) {
    if (dir.empty()) return;
    back_.reset(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!back_) throw_errno("restore unix socket: open the working directory");
    if (::chdir(dir.c_str()) != 0) throw_errno("restore unix socket: chdir({})", dir);
  }
  ~InDirectory() {
    if (back_ && ::fchdir(back_.get()) != 0) spdlog::warn("cannot go back to the working directory");
  }
  InDirectory(const InDirectory&) = delete;
  InDirectory& operator=(const InDirectory&) = delete;

 private:
  UniqueFd back_;
};

void set_socket_file(const records::UnixSocket& r) {
  if (::chmod(r.name.c_str(), r.file_mode & 07777) != 0) throw_errno("chmod({})", r.name);
  if (::lchown(r.name.c_str(), r.file_uid, r.file_gid) != 0) throw_errno("chown({})", r.name);
}

// A path name whose socket file was removed at dump time, and which may name another file since
// (a socket bound there later, a regular file): bound by a child in a mount namespace of its
// own, where an empty tmpfs hides the name's directory, so the socket gets its name without
// touching what the name reaches, and its file goes with that namespace. An absolute name: the
// dump refuses a relative one whose file is not there.
void bind_removed_name(int fd, const UnixAddress& a, const std::string& name) {
  std::string directory = name.substr(0, name.rfind('/'));
  if (directory.empty()) directory = "/";
  pid_t child = ::fork();
  if (child < 0) throw_errno("restore unix socket: fork to bind {}", name);
  if (child == 0) {  // only system calls here
    bool bound = ::unshare(CLONE_NEWNS) == 0 &&
                 ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
                 ::mount("ckpt-unbound", directory.c_str(), "tmpfs", 0, "size=4k") == 0 &&
                 ::bind(fd, reinterpret_cast<const sockaddr*>(&a.addr), a.len) == 0;
    ::_exit(bound ? 0 : errno);
  }
  int status = 0;
  if (::waitpid(child, &status, 0) != child) throw_errno("restore unix socket: wait to bind {}", name);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    errno = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
    throw_errno("restore unix socket: bind({}) whose file was removed", name);
  }
}

}  // namespace

std::string printable_name(const std::string& name) {
  if (name.empty()) return "(unnamed)";
  if (name[0] != '\0') return name;
  std::string shown = "@" + name.substr(1);
  for (char& c : shown) {
    if (c == '\0') c = '@';
  }
  return shown;
}

UniqueFd make_unix_socket(int type) {
  UniqueFd fd(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket(AF_UNIX, {})", type);
  return fd;
}

std::pair<UniqueFd, UniqueFd> make_unix_socketpair(int type) {
  int fds[2];
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) != 0)
    throw_errno("socketpair(AF_UNIX, {})", type);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::string reachable_name(const records::UnixSocket& record) {
  return record.directory.empty() ? record.name : record.directory + "/" + record.name;
}

void bind_unix_name(int fd, const records::UnixSocket& record) {
  if (record.name.empty()) return;
  InDirectory in(record.directory);
  UnixAddress a = address_of(record.name);
  bool path = is_path(record.name);
  if (path && record.file_mode == 0) return bind_removed_name(fd, a, record.name);
  if (path) remove_stale_socket_file(record.name);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&a.addr), a.len) != 0)
    throw_errno("restore unix socket: bind({})", printable_name(record.name));
  if (path) set_socket_file(record);
}

void connect_unix_name(int fd, const std::string& name) {
  UnixAddress a = address_of(name);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a.addr), a.len) != 0)
    throw_errno("restore unix socket: connect({})", printable_name(name));
}

UniqueFd accept_one(int listener, const std::string& name) {
  UniqueFd fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (!fd) throw_errno("restore unix socket: accept on {}", printable_name(name));
  return fd;
}

void send_messages(int sender, const std::string& name, int type, std::span<const uint32_t> sizes,
                   std::string_view data) {
  UnixAddress a;
  if (!name.empty()) a = address_of(name);
  const sockaddr* to = name.empty() ? nullptr : reinterpret_cast<const sockaddr*>(&a.addr);
  size_t offset = 0;
  for (uint32_t size : sizes) {
    // A stream's bytes may take several writes; a message must go in one.
    size_t done = 0;
    while (done < size) {
      ssize_t n = ::sendto(sender, data.data() + offset + done, size - done,
                           MSG_DONTWAIT | MSG_NOSIGNAL, to, to ? a.len : 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno("restore unix socket: write back {} queued bytes", size);
      if (type != SOCK_STREAM && static_cast<size_t>(n) != size)
        fail("restore unix socket: a message of {} bytes went out as {}", size, n);
      done += static_cast<size_t>(n);
    }
    offset += size;
  }
}

void set_unix_options(int fd, const records::UnixSocket& record) {
  // The kernel doubles what it is given and reports the doubled value.
  if (record.send_buffer > 0)
    set_sockopt(fd, SOL_SOCKET, SO_SNDBUF, record.send_buffer / 2, "SO_SNDBUF");
  if (record.receive_buffer > 0)
    set_sockopt(fd, SOL_SOCKET, SO_RCVBUF, record.receive_buffer / 2, "SO_RCVBUF");
  if (record.pass_credentials) set_sockopt(fd, SOL_SOCKET, SO_PASSCRED, 1, "SO_PASSCRED");
}

void finish_unix_socket(int fd, const records::UnixSocket& record) {
  uint32_t s = record.shutdown & (kReceiveShutdown | kSendShutdown);
  if (s != 0) {
    int how = s == (kReceiveShutdown | kSendShutdown) ? SHUT_RDWR
              : s == kReceiveShutdown                 ? SHUT_RD
                                                      : SHUT_WR;
    if (::shutdown(fd, how) != 0 && errno != ENOTCONN) throw_errno("shutdown({})", how);
  }
  // After the queue is written back: a filter would see those messages again.
  apply_socket_options(fd, record.options);
  if (record.peek_offset >= 0)
    set_sockopt(fd, SOL_SOCKET, SO_PEEK_OFF, record.peek_offset, "SO_PEEK_OFF");
}

}  // namespace ckpt::restore
