// Shared by the workload programs (ZDTM style): argv[1] is a result file. A workload sets up its
// state, appends "ready", keeps working, and on SIGTERM verifies its state and appends
// "PASS" or "FAIL <why>", exiting 0 or 1. Checkpoint and restore happen between the two.
#pragma once

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char* zdtm_out = "/dev/stdout";
static volatile sig_atomic_t zdtm_stop = 0;

static void zdtm_on_term(int sig) {
  (void)sig;
  zdtm_stop = 1;
}

static void zdtm_report(const char* fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  int fd = open(zdtm_out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (write(fd, line, n) < 0) {
  }
  close(fd);
}

// SIGTERM (without SA_RESTART) ends the wait loop of the workload.
static void zdtm_init(int argc, char** argv) {
  if (argc > 1) zdtm_out = argv[1];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = zdtm_on_term;
  sigaction(SIGTERM, &sa, NULL);
}

// Sets `handler` for `sig` (no flags, empty mask).
static inline void zdtm_handle(int sig, void (*handler)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigaction(sig, &sa, NULL);
}

static void zdtm_ready(void) {
  zdtm_report("ready %d", getpid());
}

static void zdtm_pass(void) {
  zdtm_report("PASS");
  exit(0);
}

#define zdtm_fail(...)                        \
  do {                                        \
    char why_[400];                           \
    snprintf(why_, sizeof why_, __VA_ARGS__); \
    zdtm_report("FAIL %s", why_);             \
    exit(1);                                  \
  } while (0)

// The number after "FIELD:" in /proc/PID/status ("Seccomp", "Seccomp_filters"), or -1.
static inline int zdtm_status_number(pid_t pid, const char* field) {
  char path[64], key[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  snprintf(key, sizeof key, "\n%s:", field);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char* at = strstr(buf, key);
  return at ? atoi(at + strlen(key)) : -1;
}

// Starts a thread that never takes SIGTERM: the signal goes to the main thread's handler.
static inline void zdtm_start_thread(pthread_t* thread, void* (*fn)(void*), void* arg) {
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old);
  if (pthread_create(thread, NULL, fn, arg) != 0) zdtm_fail("pthread_create");
  pthread_sigmask(SIG_SETMASK, &old, NULL);
}

// Creates `path` (truncated) with `pages` pages of 4 KiB, page i filled with byte (i + 1) mod
// 256, and returns it open read-write (close-on-exec); fails the workload on error.
static inline int zdtm_page_file(const char* path, size_t pages) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) zdtm_fail("open %s: %s", path, strerror(errno));
  unsigned char page[4096];
  for (size_t i = 0; i < pages; ++i) {
    memset(page, (unsigned char)(i + 1), sizeof page);
    if (write(fd, page, sizeof page) != (ssize_t)sizeof page) zdtm_fail("write %s", path);
  }
  return fd;
}

// A worker that cannot write the result file (it dropped its privileges) tells its verdict to
// its parent through a pipe: "ok" or why it failed, NUL-terminated.
static inline void zdtm_tell(int fd, const char* why) {
  if (write(fd, why ? why : "ok", strlen(why ? why : "ok") + 1) < 0) _exit(5);
}

// Reads one verdict of zdtm_tell and fails the workload unless it is "ok".
static inline void zdtm_read_verdict(int fd, const char* when) {
  char buf[256];
  size_t got = 0;
  while (got < sizeof buf - 1) {
    ssize_t n = read(fd, buf + got, 1);
    if (n != 1) zdtm_fail("%s: no verdict from the worker", when);
    if (buf[got++] == 0) break;
  }
  buf[got] = 0;
  if (strcmp(buf, "ok") != 0) zdtm_fail("%s: worker: %s", when, buf);
}

// The parent of a worker that tells its verdicts (zdtm_tell) once before the checkpoint and
// once after SIGTERM: forks `worker(verdict_fd)`, reports "worker PID" and ready in between, and
// passes when both verdicts were "ok" and the worker exited 0.
static inline void zdtm_run_worker(void (*worker)(int verdict_fd)) {
  int verdict[2];
  if (pipe(verdict) != 0) zdtm_fail("pipe: %s", strerror(errno));
  pid_t child = fork();
  if (child == 0) {
    close(verdict[0]);
    worker(verdict[1]);
    _exit(0);
  }
  close(verdict[1]);
  zdtm_read_verdict(verdict[0], "before the checkpoint");
  zdtm_report("worker %d", child);
  zdtm_ready();
  while (!zdtm_stop) pause();
  kill(child, SIGTERM);
  zdtm_read_verdict(verdict[0], "after the checkpoint");
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    zdtm_fail("worker ended with status %#x", status);
  zdtm_pass();
}
