#include "ckpt/sockets_queue.h"

#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"
#include "common/error_kind.h"

namespace ckpt::dump {

namespace {

constexpr size_t kLargestMessage = 8u << 20;

int peek_offset(int sock) {
  int value = -1;
  socklen_t len = sizeof value;
  if (::getsockopt(sock, SOL_SOCKET, SO_PEEK_OFF, &value, &len) != 0)
    throw_errno("getsockopt(SO_PEEK_OFF)");
  return value;
}

void set_peek_offset(int sock, int value) {
  if (::setsockopt(sock, SOL_SOCKET, SO_PEEK_OFF, &value, sizeof value) != 0)
    throw_errno("setsockopt(SO_PEEK_OFF, {})", value);
}

// Puts the socket's own peek offset back, whatever happens while peeking.
class PeekOffsetGuard {
 public:
  explicit PeekOffsetGuard(int sock) : sock_(sock), saved_(peek_offset(sock)) {
    set_peek_offset(sock, 0);
  }
  ~PeekOffsetGuard() { ::setsockopt(sock_, SOL_SOCKET, SO_PEEK_OFF, &saved_, sizeof saved_); }
  PeekOffsetGuard(const PeekOffsetGuard&) = delete;
  PeekOffsetGuard& operator=(const PeekOffsetGuard&) = delete;

 private:
  int sock_;
  int saved_;
};

// Closes the fds a peek copied into this process; true when there were any.
bool close_passed_fds(msghdr& msg) {
  bool any = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const auto* fds = reinterpret_cast<const int*>(CMSG_DATA(c));
    for (size_t i = 0; i < count; ++i) ::close(fds[i]);
    any = true;
  }
  return any;
}

// SO_PASSCRED (or SO_PASSPIDFD) on the socket: each message comes with its sender's pid, uid
// and gid (or a pidfd), which a message sent again by the restore would not have.
bool carries_credentials(msghdr& msg) {
  constexpr int kScmPidfd = 0x04;  // SCM_PIDFD (6.5)
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    if (c->cmsg_type == kScmPidfd) ::close(*reinterpret_cast<const int*>(CMSG_DATA(c)));
    if (c->cmsg_type == SCM_CREDENTIALS || c->cmsg_type == kScmPidfd) return true;
  }
  return false;
}

// One peek at the current offset: the bytes read, or -1 when nothing more is queued.
ssize_t peek_once(int sock, std::string& buffer, const std::string& who) {
  alignas(cmsghdr) char control[4096];
  iovec iov{buffer.data(), buffer.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return -1;
  if (n < 0) throw_errno("peek at {}", who);
  if (close_passed_fds(msg) || (msg.msg_flags & MSG_CTRUNC))
    fail(ErrorKind::kRefused, "{}: file descriptors in flight (SCM_RIGHTS) are not supported", who);
  if (carries_credentials(msg))
    fail(ErrorKind::kRefused,
         "{}: messages queued for a socket that receives their senders' credentials "
         "(SO_PASSCRED): the restore would send them as another process; not supported",
         who);
  if (msg.msg_flags & MSG_TRUNC)
    fail("{}: a queued message is larger than {} bytes", who, kLargestMessage);
  return n;
}

}  // namespace

QueuedMessages peek_queue(int sock, int type, const std::string& who) {
  PeekOffsetGuard guard(sock);
  QueuedMessages queued;
  std::string buffer(type == SOCK_STREAM ? (1u << 20) : kLargestMessage, '\0');
  for (;;) {
    ssize_t n = peek_once(sock, buffer, who);
    // The queue ends with EAGAIN, or 0 once shut down (zero-sized datagrams are not kept:
    // they look the same).
    if (n <= 0) break;
    queued.data.append(buffer.data(), static_cast<size_t>(n));
    if (type == SOCK_STREAM && !queued.sizes.empty())
      queued.sizes.back() += static_cast<uint32_t>(n);
    else
      queued.sizes.push_back(static_cast<uint32_t>(n));
  }
  return queued;
}

}  // namespace ckpt::dump
