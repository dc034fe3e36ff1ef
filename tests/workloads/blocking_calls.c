// Children each blocked in one call (ppoll, sigsuspend, sigwaitinfo, signalfd, epoll_pwait,
// recvfrom, nanosleep, pause, pselect, a pipe read, clock_nanosleep, waitpid). On SIGTERM the
// init sends each SIGUSR1: each must come out of its call then and only then (its handler ran,
// EINTR, or the signal taken), with its signal mask as it set it, and with the time left of a
// sleep. A nanosleep that a --leave-running dump's pre-copy had resumed once came back as
// restart_syscall and ended at once with EINTR in the copy.
#define _GNU_SOURCE
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>

#include "zdtm.h"

static volatile sig_atomic_t got;
static void on_usr1(int s) {
  (void)s;
  got = 1;
}

static const char* names[] = {"ppoll",     "sigsuspend", "sigwaitinfo", "signalfd",
                              "epoll_pwait", "recvfrom", "nanosleep",   "pause",
                              "pselect",   "pipe_read",  "clock_nanosleep", "waitpid"};
#define N (int)(sizeof names / sizeof *names)

static sigset_t usr1, none;

static int udp(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(0x7f000001);
  bind(fd, (struct sockaddr*)&a, sizeof a);
  return fd;
}

static int usr1_blocked(void) {
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  return sigismember(&now, SIGUSR1);
}

// Interrupted by the handler, SIGUSR1 blocked again afterwards (the call's mask was temporary).
static int eintr_masked(int r) { return r < 0 && errno == EINTR && got && usr1_blocked(); }
static int eintr(int r) { return r < 0 && errno == EINTR && got; }

// 1 when the call ended as it should, 0 otherwise.
static int blocked_call(int i) {
  int r;
  if (i != 5 && i != 6 && i != 7 && i != 9 && i != 10 && i != 11)
    sigprocmask(SIG_BLOCK, &usr1, NULL);  // the ones taking the signal through a mask or a fd
  switch (i) {
    case 0: {
      struct pollfd p = {udp(), POLLIN, 0};
      return eintr_masked(ppoll(&p, 1, NULL, &none));
    }
    case 1:
      sigsuspend(&none);
      return got && usr1_blocked();
    case 2: {
      siginfo_t si;
      do r = sigwaitinfo(&usr1, &si);
      while (r < 0 && errno == EINTR);  // a stop (the freeze) may end it early
      return r == SIGUSR1;
    }
    case 3: {
      struct signalfd_siginfo si;
      r = read(signalfd(-1, &usr1, 0), &si, sizeof si);
      return r == sizeof si && si.ssi_signo == SIGUSR1;
    }
    case 4: {
      int ep = epoll_create1(0);
      struct epoll_event ev = {EPOLLIN, {0}};
      epoll_ctl(ep, EPOLL_CTL_ADD, udp(), &ev);
      do r = epoll_pwait(ep, &ev, 1, -1, &none);
      while (r < 0 && errno == EINTR && !got);  // a stop may end it early
      return eintr_masked(r);
    }
    case 5: {
      char b[8];
      return eintr(recvfrom(udp(), b, sizeof b, 0, NULL, NULL));
    }
    case 6: {
      struct timespec t = {100000, 0}, left;
      return eintr(nanosleep(&t, &left)) && left.tv_sec > 1000;
    }
    case 7:
      pause();
      return got;
    case 8: {
      int fd = udp();
      fd_set rs;
      FD_ZERO(&rs);
      FD_SET(fd, &rs);
      return eintr_masked(pselect(fd + 1, &rs, NULL, NULL, NULL, &none));
    }
    case 9: {
      int p[2];
      char b[8];
      if (pipe(p)) return 0;
      return eintr(read(p[0], b, sizeof b));
    }
    case 10: {
      struct timespec t = {100000, 0};
      return clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL) == EINTR && got;
    }
    default: {
      pid_t k = fork();
      if (!k)
        for (;;) pause();
      r = waitpid(k, NULL, 0);
      int e = errno;
      kill(k, SIGKILL);
      errno = e;
      return eintr(r);
    }
  }
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigemptyset(&none);
  int ready[2];
  if (pipe(ready)) return 2;
  pid_t kids[N];
  for (int i = 0; i < N; i++) {
    kids[i] = fork();
    if (!kids[i]) {
      zdtm_handle(SIGUSR1, on_usr1);
      if (write(ready[1], "r", 1) != 1) _exit(9);
      _exit(blocked_call(i) ? 0 : 1);
    }
  }
  for (int i = 0; i < N; i++) {
    char c;
    if (read(ready[0], &c, 1) != 1) return 2;
  }
  usleep(200000);  // each is in its call
  for (int i = 0; i < N; i++) {
    int status;
    if (waitpid(kids[i], &status, WNOHANG) != 0) zdtm_fail("%s ended before the signal", names[i]);
  }
  zdtm_ready();
  while (!zdtm_stop) pause();
  char bad[400] = "";
  for (int i = 0; i < N; i++) {
    int status;
    if (waitpid(kids[i], &status, WNOHANG) != 0) {
      strcat(bad, names[i]);
      strcat(bad, "(ended early) ");
      kids[i] = 0;
    }
  }
  for (int i = 0; i < N; i++)
    if (kids[i]) kill(kids[i], SIGUSR1);
  int waited = 0;  // 10 ms steps, 10 s in all: a child still in its call then is hung
  for (int i = 0; i < N; i++) {
    if (!kids[i]) continue;
    int status = -1;
    while (waitpid(kids[i], &status, WNOHANG) == 0 && waited < 1000) {
      usleep(10000);
      waited++;
    }
    if (waited >= 1000 && waitpid(kids[i], &status, WNOHANG) == 0) {
      kill(kids[i], SIGKILL);
      waitpid(kids[i], &status, 0);
      strcat(bad, names[i]);
      strcat(bad, "(hung) ");
    } else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
      strcat(bad, names[i]);
      strcat(bad, "(wrong) ");
    }
  }
  if (bad[0]) zdtm_fail("%s", bad);
  zdtm_pass();
}
