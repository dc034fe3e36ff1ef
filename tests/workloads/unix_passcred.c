// Messages queued for sockets with SO_PASSCRED: each reaches its receiver with its sender's
// pid, uid and gid (SCM_CREDENTIALS). Queued before the checkpoint, read after it: a datagram
// pair with messages from a child running as uid 1000 (alive), from the parent, and from a
// child running as uid 2000 gid 2001 that has exited; a stream pair written by the parent and
// by that live child (the receiver reads them apart: a stream read stops where the sender
// changes); a named datagram socket sent to by an unnamed socket of the live child.
// With argument "pidfd": the receiver has SO_PASSPIDFD as well (the dump must refuse it).
#define _GNU_SOURCE
#include "zdtm.h"
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif

struct expected { const char* text; pid_t pid; uid_t uid; gid_t gid; };

static void become(uid_t uid, gid_t gid) {
  if (syscall(SYS_setresgid, gid, gid, gid) || syscall(SYS_setresuid, uid, uid, uid)) _exit(3);
}

static void send_text(int fd, const char* text) {
  if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) _exit(4);
}

// Receives one message and checks its text and credentials.
static void check(int fd, const struct expected* e, const char* what) {
  char buf[64] = {0}, cb[CMSG_SPACE(sizeof(struct ucred))];
  struct iovec iov = {buf, sizeof buf - 1};
  struct msghdr mh = {0};
  mh.msg_iov = &iov; mh.msg_iovlen = 1; mh.msg_control = cb; mh.msg_controllen = sizeof cb;
  ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
  if (n != (ssize_t)strlen(e->text) || memcmp(buf, e->text, n))
    zdtm_fail("%s: read '%s' (%zd), expected '%s'", what, buf, n, e->text);
  struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
  if (!c || c->cmsg_type != SCM_CREDENTIALS) zdtm_fail("%s: '%s' came without credentials", what, buf);
  struct ucred* u = (struct ucred*)CMSG_DATA(c);
  if (u->pid != e->pid || u->uid != e->uid || u->gid != e->gid)
    zdtm_fail("%s: '%s' from pid %d uid %d gid %d, sent by pid %d uid %d gid %d", what, buf,
              u->pid, u->uid, u->gid, e->pid, e->uid, e->gid);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  int pidfd_too = 0;
  for (int i = 2; i < argc; i++) pidfd_too |= !strcmp(argv[i], "pidfd");
  int one = 1, dg[2], st[2], named = socket(AF_UNIX, SOCK_DGRAM, 0);
  socketpair(AF_UNIX, SOCK_DGRAM, 0, dg);
  socketpair(AF_UNIX, SOCK_STREAM, 0, st);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "/tmp/passcred-%d.sock", getpid());
  unlink(addr.sun_path);
  if (bind(named, (struct sockaddr*)&addr, sizeof addr)) zdtm_fail("bind: %s", strerror(errno));
  chmod(addr.sun_path, 0777);  // for the child of uid 1000 to send to
  int receivers[3] = {dg[0], st[0], named};
  for (int i = 0; i < 3; i++) {
    setsockopt(receivers[i], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    if (pidfd_too) setsockopt(receivers[i], SOL_SOCKET, SO_PASSPIDFD, &one, sizeof one);
  }
  int go[2]; pipe(go);
  pid_t alive = fork();
  if (!alive) {
    become(1000, 1000);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(5);
    send_text(dg[1], "alive-1");
    send_text(dg[1], "alive-2");
    send_text(st[1], "alive-stream");
    int unnamed = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (sendto(unnamed, "alive-named", 11, 0, (struct sockaddr*)&addr, sizeof addr) != 11) _exit(6);
    close(unnamed);
    for (;;) pause();
  }
  send_text(st[1], "parent-stream");
  if (write(go[1], "g", 1) != 1) zdtm_fail("go");
  usleep(200000);
  send_text(dg[1], "parent-1");
  pid_t gone = fork();
  if (!gone) {
    become(2000, 2001);
    send_text(dg[1], "gone-1");
    _exit(0);
  }
  waitpid(gone, NULL, 0);
  zdtm_ready();
  while (!zdtm_stop) pause();
  struct expected dgram[] = {{"alive-1", alive, 1000, 1000}, {"alive-2", alive, 1000, 1000},
                             {"parent-1", getpid(), 0, 0}, {"gone-1", gone, 2000, 2001}};
  for (int i = 0; i < 4; i++) check(dg[0], &dgram[i], "datagram pair");
  struct expected stream[] = {{"parent-stream", getpid(), 0, 0},
                              {"alive-stream", alive, 1000, 1000}};
  for (int i = 0; i < 2; i++) check(st[0], &stream[i], "stream pair");
  struct expected to_name = {"alive-named", alive, 1000, 1000};
  check(named, &to_name, "named datagram socket");
  kill(alive, SIGKILL);
  unlink(addr.sun_path);
  zdtm_pass();
}
