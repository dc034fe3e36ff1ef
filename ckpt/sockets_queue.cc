#include "ckpt/sockets_queue.h"

#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"
#include "common/error_kind.h"
#include "common/ns/in_pid_ns.h"

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

constexpr int kScmPidfd = 0x04;  // SCM_PIDFD (6.5)

// SO_PASSPIDFD on the socket: each message comes with a pidfd of its sender, which a message
// sent again by the restore could not give (its sender would be a process that has exited).
bool carries_pidfd(msghdr& msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != kScmPidfd) continue;
    ::close(*reinterpret_cast<const int*>(CMSG_DATA(c)));
    return true;
  }
  return false;
}

// SO_PASSCRED on the socket: the sender's pid, uid and gid the message came with.
const ucred* sender_of(msghdr& msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
      return reinterpret_cast<const ucred*>(CMSG_DATA(c));
  }
  return nullptr;
}

size_t peek_buffer_size(int type) { return type == SOCK_STREAM ? (1u << 20) : kLargestMessage; }

// A peek at the current offset into `buffer`: recvmsg's result, EINTR retried.
ssize_t peek_into(int sock, std::string& buffer, msghdr& msg, char* control, size_t room) {
  iovec iov{buffer.data(), buffer.size()};
  msg = msghdr{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = room;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  return n;
}

// One peek at the current offset: the bytes read, or -1 when nothing more is queued; notes
// in `with_sender` whether the message came with its sender's credentials.
ssize_t peek_once(int sock, std::string& buffer, const std::string& who, bool& with_sender) {
  alignas(cmsghdr) char control[4096];
  msghdr msg;
  ssize_t n = peek_into(sock, buffer, msg, control, sizeof control);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return -1;
  if (n < 0) throw_errno("peek at {}", who);
  if (close_passed_fds(msg) || (msg.msg_flags & MSG_CTRUNC))
    fail(ErrorKind::kRefused, "{}: file descriptors in flight (SCM_RIGHTS) are not supported", who);
  if (carries_pidfd(msg))
    fail(ErrorKind::kRefused,
         "{}: messages queued for a socket that receives a pidfd of their senders "
         "(SO_PASSPIDFD): the restore would send them as a process that has exited; not "
         "supported",
         who);
  with_sender = sender_of(msg) != nullptr;
  if (msg.msg_flags & MSG_TRUNC)
    fail("{}: a queued message is larger than {} bytes", who, kLargestMessage);
  return n;
}

}  // namespace

QueuedMessages peek_queue(int sock, int type, const std::string& who) {
  PeekOffsetGuard guard(sock);
  QueuedMessages queued;
  std::string buffer(peek_buffer_size(type), '\0');
  for (;;) {
    bool with_sender = false;
    ssize_t n = peek_once(sock, buffer, who, with_sender);
    // The queue ends with EAGAIN, or 0 once shut down (zero-sized datagrams are not kept:
    // they look the same).
    if (n <= 0) break;
    queued.with_senders = queued.with_senders || with_sender;
    queued.data.append(buffer.data(), static_cast<size_t>(n));
    // With SO_PASSCRED every peek has a sender (the socket is frozen: it stays on), and a
    // stream's peek ends where the sender changes: one entry each.
    if (type == SOCK_STREAM && !queued.sizes.empty() && !queued.with_senders)
      queued.sizes.back() += static_cast<uint32_t>(n);
    else
      queued.sizes.push_back(static_cast<uint32_t>(n));
  }
  return queued;
}

std::vector<ucred> peek_senders(int sock, int type, size_t count, pid_t container_pid) {
  PeekOffsetGuard guard(sock);
  std::string buffer(peek_buffer_size(type), '\0');
  std::vector<ucred> senders(count, ucred{0, 0, 0});
  std::vector<cmsghdr> control(4096 / sizeof(cmsghdr));  // the child's stack is small
  ns::in_pid_namespace_of(container_pid, [&] {
    for (ucred& sender : senders) {
      msghdr msg;
      char* room = reinterpret_cast<char*>(control.data());
      if (peek_into(sock, buffer, msg, room, control.size() * sizeof(cmsghdr)) <= 0) return;
      if (const ucred* seen = sender_of(msg)) sender = *seen;
    }
  });
  return senders;
}

}  // namespace ckpt::dump
