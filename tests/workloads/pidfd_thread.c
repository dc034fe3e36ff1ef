// A pidfd on a thread of its own process (pidfd_open with PIDFD_THREAD), at two fd numbers
// sharing one description. After the checkpoint both fds still name that thread (fdinfo Pid),
// keep PIDFD_THREAD and O_NONBLOCK, and a signal sent through the pidfd reaches that thread only.
// argv[3] "other": a child process holds a pidfd on the worker thread instead, which the dump
// refuses by name (argv[2] is not used).
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/syscall.h>

#include "zdtm.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

static volatile pid_t worker_tid, got_by;
static int pidfd, copy_fd;

static void on_usr1(int sig) {
  (void)sig;
  got_by = (pid_t)syscall(SYS_gettid);
}

static void* worker(void* arg) {
  (void)arg;
  worker_tid = (pid_t)syscall(SYS_gettid);
  for (;;) pause();
  return NULL;
}

// The fd's fdinfo "Pid:" and status flags, or a failure.
static void check_fd(int fd, const char* when) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  int f = open(path, O_RDONLY);
  ssize_t n = f < 0 ? -1 : read(f, buf, sizeof buf - 1);
  if (f >= 0) close(f);
  if (n <= 0) zdtm_fail("%s: fdinfo of fd %d: %m", when, fd);
  buf[n] = 0;
  char* at = strstr(buf, "\nPid:");
  if (!at || atoi(at + 5) != worker_tid)
    zdtm_fail("%s: fd %d names pid %d, wanted thread %d", when, fd, at ? atoi(at + 5) : -1,
              worker_tid);
  int flags = fcntl(fd, F_GETFL);
  if (!(flags & PIDFD_THREAD) || !(flags & O_NONBLOCK))
    zdtm_fail("%s: fd %d flags %o", when, fd, flags);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  zdtm_handle(SIGUSR1, on_usr1);
  pthread_t thread;
  zdtm_start_thread(&thread, worker, NULL);
  while (!worker_tid) usleep(1000);
  pidfd = (int)syscall(SYS_pidfd_open, worker_tid, PIDFD_THREAD | O_NONBLOCK);
  if (pidfd < 0) zdtm_fail("pidfd_open(PIDFD_THREAD): %m");
  copy_fd = dup(pidfd);
  check_fd(pidfd, "before");
  if (argc > 3 && strcmp(argv[3], "other") == 0) {
    pid_t child = fork();
    if (child == 0) {
      if (syscall(SYS_pidfd_open, worker_tid, PIDFD_THREAD) < 0) _exit(1);
      for (;;) pause();
    }
    zdtm_ready();
    while (!zdtm_stop) pause();
    kill(child, SIGKILL);
    zdtm_pass();
  }
  zdtm_ready();
  while (!zdtm_stop) pause();
  check_fd(pidfd, "after");
  check_fd(copy_fd, "after");
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);  // only the worker may take it
  if (syscall(SYS_pidfd_send_signal, copy_fd, SIGUSR1, NULL, 0) != 0)
    zdtm_fail("pidfd_send_signal: %m");
  for (int i = 0; i < 2000 && !got_by; ++i) usleep(1000);
  if (got_by != worker_tid) zdtm_fail("SIGUSR1 taken by %d, wanted thread %d", got_by, worker_tid);
  zdtm_pass();
}
