// Pidfds across a checkpoint. The workload (the container's init) forks two sleepers: `a`, held
// by a pidfd_open(PIDFD_NONBLOCK) fd (and a dup of it), and `b`, made by clone(CLONE_PIDFD) (its
// pidfd close-on-exec; b inherits a's pidfd); it also holds a pidfd on itself (not close-on-exec)
// and forks a third sleeper `c`, which inherits every pidfd. On SIGTERM it checks that each pidfd
// still refers to its process (fdinfo Pid) with its flags (O_NONBLOCK: waitid on the live `a`
// says EAGAIN), that c holds the same descriptions (kcmp), that the processes are alive (poll),
// then kills each through its pidfd (pidfd_send_signal), sees the exit through poll and reaps it
// with waitid(P_PIDFD), signals itself through its own pidfd, and that the dup shares its
// description.
// Argument "reaped": also holds a pidfd on a child it has reaped (a dump must refuse it).
#include <linux/kcmp.h>
#include <linux/sched.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "zdtm.h"

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open(pid_t pid, unsigned flags) {
  return (int)syscall(SYS_pidfd_open, pid, flags);
}

static int pidfd_send_signal(int fd, int sig) {
  return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

static void sleep_forever(void) {
  signal(SIGTERM, SIG_IGN);
  for (;;) pause();
}

static pid_t spawn_sleeper(void) {
  pid_t pid = fork();
  if (pid < 0) zdtm_fail("fork: %m");
  if (pid == 0) sleep_forever();
  return pid;
}

// clone(CLONE_PIDFD) without a new stack: the child goes on like a forked one.
static pid_t spawn_with_pidfd(int* pidfd) {
  pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, pidfd, 0, 0);
  if (pid < 0) zdtm_fail("clone(CLONE_PIDFD): %m");
  if (pid == 0) sleep_forever();
  return pid;
}

// The "Pid:" line of the fd's fdinfo (the pid in our pid namespace); -2 when there is none.
static int fdinfo_pid(int fd) {
  char path[64], text[512];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  int in = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = in < 0 ? -1 : read(in, text, sizeof text - 1);
  if (in >= 0) close(in);
  if (n <= 0) return -2;
  text[n] = 0;
  char* line = strstr(text, "\nPid:");
  return line ? atoi(line + 5) : -2;
}

static void expect_flags(const char* name, int fd, int nonblock, int cloexec) {
  int fl = fcntl(fd, F_GETFL), fd_flags = fcntl(fd, F_GETFD);
  if (fl < 0 || fd_flags < 0) zdtm_fail("%s: fd %d is gone: %m", name, fd);
  if (!!(fl & O_NONBLOCK) != nonblock) zdtm_fail("%s: O_NONBLOCK is %d", name, !!(fl & O_NONBLOCK));
  if (!!(fd_flags & FD_CLOEXEC) != cloexec) zdtm_fail("%s: FD_CLOEXEC is %d", name, !cloexec);
}

static void expect_alive(const char* name, int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, 0) != 0) zdtm_fail("%s: poll says its process exited (%x)", name, p.revents);
}

static void kill_and_reap(const char* name, int fd, pid_t pid) {
  if (pidfd_send_signal(fd, SIGKILL) != 0) zdtm_fail("%s: pidfd_send_signal: %m", name);
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, 10000) != 1) zdtm_fail("%s: poll saw no exit after SIGKILL", name);
  siginfo_t info;
  memset(&info, 0, sizeof info);
  if (waitid((idtype_t)P_PIDFD, (id_t)fd, &info, WEXITED) != 0)
    zdtm_fail("%s: waitid(P_PIDFD): %m", name);
  if (info.si_pid != pid || info.si_code != CLD_KILLED || info.si_status != SIGKILL)
    zdtm_fail("%s: waitid reaped pid %d code %d status %d, not %d killed", name, info.si_pid,
              info.si_code, info.si_status, pid);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  const char* mode = argc > 2 ? argv[2] : "";
  pid_t a = spawn_sleeper();
  int fa = pidfd_open(a, PIDFD_NONBLOCK);
  int fb = -1;
  pid_t b = spawn_with_pidfd(&fb);
  int fs = pidfd_open(getpid(), 0);
  if (fa < 0 || fs < 0 || fb < 0) zdtm_fail("pidfd_open: %m");
  if (fcntl(fa, F_SETFD, 0) != 0 || fcntl(fs, F_SETFD, 0) != 0) zdtm_fail("F_SETFD: %m");
  int fa_dup = dup(fa);
  if (strcmp(mode, "reaped") == 0) {
    pid_t gone = fork();
    if (gone == 0) _exit(0);
    if (pidfd_open(gone, 0) < 0 || waitpid(gone, NULL, 0) != gone) zdtm_fail("reaped: %m");
  }
  pid_t c = spawn_sleeper();  // inherits every pidfd
  zdtm_ready();
  while (!zdtm_stop) pause();

  expect_flags("pidfd_open(a, PIDFD_NONBLOCK)", fa, 1, 0);
  expect_flags("clone(CLONE_PIDFD) of b", fb, 0, 1);
  expect_flags("pidfd_open(self)", fs, 0, 0);
  if (fdinfo_pid(fa) != a || fdinfo_pid(fa_dup) != a || fdinfo_pid(fb) != b ||
      fdinfo_pid(fs) != getpid())
    zdtm_fail("pidfds refer to pids %d %d %d %d, not %d %d %d", fdinfo_pid(fa), fdinfo_pid(fa_dup),
              fdinfo_pid(fb), fdinfo_pid(fs), a, b, getpid());
  int fds[] = {fa, fa_dup, fb, fs};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; ++i)
    if (syscall(SYS_kcmp, getpid(), c, KCMP_FILE, fds[i], fds[i]) != 0)
      zdtm_fail("c's fd %d is not our pidfd's description: %m", fds[i]);
  if (kill(c, SIGKILL) != 0 || waitpid(c, NULL, 0) != c) zdtm_fail("kill c: %m");
  expect_alive("a", fa);
  expect_alive("b", fb);
  siginfo_t info;
  memset(&info, 0, sizeof info);
  if (waitid((idtype_t)P_PIDFD, (id_t)fa, &info, WEXITED) == 0 || errno != EAGAIN)
    zdtm_fail("waitid on the live a's O_NONBLOCK pidfd did not say EAGAIN: %m");
  kill_and_reap("a", fa, a);
  kill_and_reap("b", fb, b);
  if (pidfd_send_signal(fs, 0) != 0) zdtm_fail("pidfd_send_signal(self, 0): %m");
  if (fcntl(fa_dup, F_SETFL, 0) != 0 || (fcntl(fa, F_GETFL) & O_NONBLOCK))
    zdtm_fail("the dup of a's pidfd no longer shares its description");
  zdtm_pass();
}
