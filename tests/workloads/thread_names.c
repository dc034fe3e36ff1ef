// Threads named apart (pthread_setname_np, as thread pools and runtimes name their workers):
// after the checkpoint each thread must still carry its own name, and the process its own.
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/prctl.h>
#include <time.h>

#include "zdtm.h"

#define THREADS 3

static const char* const names[THREADS] = {"pool-worker-1", "io uring", "gc"};
static const char* verdicts[THREADS];
static int started = 0;

static const char* check_name(const char* want) {
  static __thread char why[100];
  char name[16] = {0};
  if (prctl(PR_GET_NAME, name) != 0) return "PR_GET_NAME failed";
  if (strcmp(name, want) == 0) return NULL;
  snprintf(why, sizeof why, "thread name '%s', wanted '%s'", name, want);
  return why;
}

static void* thread_main(void* arg) {
  long i = (long)arg;
  prctl(PR_SET_NAME, names[i]);
  __atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
  while (!zdtm_stop) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  verdicts[i] = check_name(names[i]);
  return NULL;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  prctl(PR_SET_NAME, "names-main");
  pthread_t threads[THREADS];
  for (long i = 0; i < THREADS; ++i) zdtm_start_thread(&threads[i], thread_main, (void*)i);
  while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < THREADS) usleep(1000);
  zdtm_ready();
  while (!zdtm_stop) pause();
  const char* mine = check_name("names-main");
  for (int i = 0; i < THREADS; ++i) pthread_join(threads[i], NULL);
  if (mine) zdtm_fail("main: %s", mine);
  for (int i = 0; i < THREADS; ++i)
    if (verdicts[i]) zdtm_fail("thread %d: %s", i, verdicts[i]);
  zdtm_pass();
}
