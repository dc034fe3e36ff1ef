// A POSIX message queue with an mq_notify registration (SIGEV_SIGNAL, with a value): no call
// shows a registration's sigevent, so the dump must refuse it by name (the copy came back
// without it: a message on the empty queue raised no signal). Without a checkpoint: a message
// sent after SIGTERM raises the signal with the value.
#define _GNU_SOURCE
#include <mqueue.h>

#include "zdtm.h"

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  char name[64];
  snprintf(name, sizeof name, "/ckpt-notify-%d", getpid());
  struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 64};
  mq_unlink(name);
  mqd_t q = mq_open(name, O_CREAT | O_RDWR | O_NONBLOCK, 0600, &attr);
  if (q < 0) zdtm_fail("mq_open: %s", strerror(errno));
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  sigprocmask(SIG_BLOCK, &usr2, NULL);
  struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2};
  ev.sigev_value.sival_int = 4242;
  if (mq_notify(q, &ev) != 0) zdtm_fail("mq_notify: %s", strerror(errno));
  zdtm_ready();
  while (!zdtm_stop) pause();
  if (mq_send(q, "x", 1, 0) != 0) zdtm_fail("mq_send: %s", strerror(errno));
  struct timespec wait = {2, 0};
  siginfo_t info;
  if (sigtimedwait(&usr2, &info, &wait) != SIGUSR2) zdtm_fail("no notification");
  if (info.si_value.sival_int != 4242) zdtm_fail("notification value %d", info.si_value.sival_int);
  mq_unlink(name);
  zdtm_pass();
}
