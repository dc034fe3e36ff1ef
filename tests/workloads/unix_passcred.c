// A datagram a child queued for a socket with SO_PASSCRED: its receiver learns the sender's pid
// (and uid, gid) from each message. A restore that sent it again would name another sender:
// the dump must refuse it by name. Without a checkpoint it checks the sender is its child.
#define _GNU_SOURCE
#include "zdtm.h"
#include <sys/socket.h>
#include <sys/un.h>
int main(int argc, char** argv){
  zdtm_init(argc, argv);
  int sv[2]; socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  int one = 1; setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  pid_t child = fork();
  if (!child) { write(sv[1], "from child", 10); for(;;) pause(); }
  usleep(100000);
  zdtm_ready();
  while (!zdtm_stop) pause();
  char buf[32] = {0}, cb[CMSG_SPACE(sizeof(struct ucred))];
  struct iovec iov = {buf, sizeof buf}; struct msghdr mh = {0}; mh.msg_iov = &iov; mh.msg_iovlen = 1; mh.msg_control = cb; mh.msg_controllen = sizeof cb;
  ssize_t n = recvmsg(sv[0], &mh, MSG_DONTWAIT);
  kill(child, SIGKILL);
  if (n != 10) zdtm_fail("recv %zd", n);
  struct cmsghdr* c = CMSG_FIRSTHDR(&mh); if (!c || c->cmsg_type != SCM_CREDENTIALS) zdtm_fail("no creds");
  struct ucred* u = (struct ucred*)CMSG_DATA(c);
  if (u->pid != child) zdtm_fail("sender pid %d, was child %d", u->pid, child);
  zdtm_pass();
}
