#include "common/scm_rights.h"

#include <sys/socket.h>

#include <cstring>

#include "common/error.h"

namespace ckpt {

namespace {

// A one-byte message with room for one fd; not copyable (msg points into it).
struct FdMessage {
  char byte = 'f';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};

  FdMessage() {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
  FdMessage(const FdMessage&) = delete;
  FdMessage& operator=(const FdMessage&) = delete;
};

}  // namespace

void send_fd(int socket, int fd) {
  FdMessage m;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&m.msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
  ssize_t n;
  do {
    n = ::sendmsg(socket, &m.msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n != 1) throw_errno("send fd {} over socket {}", fd, socket);
}

UniqueFd receive_fd(int socket, bool dont_wait) {
  FdMessage m;
  ssize_t n;
  do {
    n = ::recvmsg(socket, &m.msg, MSG_CMSG_CLOEXEC | (dont_wait ? MSG_DONTWAIT : 0));
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("receive an fd over socket {}", socket);
  if (n == 0) fail("receive an fd over socket {}: the peer closed it without sending one", socket);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&m.msg);
  if (!cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
    fail("receive an fd over socket {}: a message without an fd", socket);
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
  return UniqueFd(fd);
}

}  // namespace ckpt
