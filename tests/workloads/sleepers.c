// System calls interrupted by the checkpoint continue correctly: one thread in a 1.5 s
// nanosleep, one in futex wait, the main thread in a blocking read() of a pipe that a fourth
// thread writes only after SIGTERM. Each must complete normally (no EINTR, full sleep).
// With argv[2] = "nopipe" (no fds restored) the main thread waits in pthread_join instead.
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

#include "zdtm.h"

static int pipefd[2];
static volatile int futex_word;
static volatile int nanosleep_ok = -1, futex_ok = -1;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void* sleeper(void* arg) {
  (void)arg;
  for (;;) {
    double start = now();
    struct timespec ts = {1, 500 * 1000 * 1000};
    if (nanosleep(&ts, NULL) != 0) {
      nanosleep_ok = 0;
      return NULL;
    }
    if (now() - start < 1.49) {
      nanosleep_ok = 0;
      return NULL;
    }
    nanosleep_ok = 1;
  }
}

static void* waiter(void* arg) {
  (void)arg;
  while (futex_word == 0) {
    long r = syscall(SYS_futex, &futex_word, FUTEX_WAIT, 0, NULL, NULL, 0);
    if (r != 0 && errno != EAGAIN) {
      futex_ok = 0;
      return NULL;
    }
  }
  futex_ok = 1;
  return NULL;
}

static void* writer(void* arg) {
  sigset_t* term = arg;
  pthread_sigmask(SIG_UNBLOCK, term, NULL);  // the only thread SIGTERM can go to
  while (!zdtm_stop) pause();
  futex_word = 1;
  syscall(SYS_futex, &futex_word, FUTEX_WAKE, 1, NULL, NULL, 0);
  if (pipefd[1] >= 0 && write(pipefd[1], "x", 1) != 1) futex_ok = 0;
  return NULL;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  int use_pipe = !(argc > 2 && strcmp(argv[2], "nopipe") == 0);
  if (!use_pipe)
    pipefd[0] = pipefd[1] = -1;
  else if (pipe(pipefd) != 0)
    zdtm_fail("pipe");
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, NULL);
  pthread_t t[3];
  pthread_create(&t[0], NULL, sleeper, NULL);
  pthread_create(&t[1], NULL, waiter, NULL);
  pthread_create(&t[2], NULL, writer, &term);
  zdtm_ready();
  if (use_pipe) {
    char c;
    ssize_t n = read(pipefd[0], &c, 1);
    if (n != 1) zdtm_fail("read returned %zd (errno %d)", n, errno);
  } else {
    pthread_join(t[2], NULL);
  }
  pthread_join(t[1], NULL);
  if (futex_ok != 1) zdtm_fail("futex wait failed");
  struct timespec wait = {1, 600 * 1000 * 1000};
  nanosleep(&wait, NULL);
  if (nanosleep_ok != 1) zdtm_fail("nanosleep came back early or with an error");
  zdtm_pass();
}
