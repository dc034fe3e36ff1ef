// Four threads, each with its own counter (in TLS and in a shared array) and a counter shared
// under a mutex. On SIGTERM the main thread stops them and checks: every thread kept its tid and
// TLS, counted without gaps, and the shared counter equals the sum of the increments.
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

#include "zdtm.h"

#define NTHREADS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long shared_count;
static unsigned long own_count[NTHREADS];
static volatile int stop_threads;
static volatile int broken;
static __thread unsigned long tls_count;
static __thread int tls_index = -1;

static void* worker(void* arg) {
  int index = (int)(long)arg;
  tls_index = index;
  pid_t tid = (pid_t)syscall(SYS_gettid);
  while (!stop_threads) {
    pthread_mutex_lock(&lock);
    ++shared_count;
    ++own_count[index];
    ++tls_count;
    if (tls_count != own_count[index] || tls_index != index) broken = 1;
    pthread_mutex_unlock(&lock);
    if ((pid_t)syscall(SYS_gettid) != tid) broken = 2;
    struct timespec ts = {0, 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  pthread_t threads[NTHREADS];
  for (long i = 0; i < NTHREADS; ++i) pthread_create(&threads[i], NULL, worker, (void*)i);
  struct timespec settle = {0, 100 * 1000 * 1000};
  nanosleep(&settle, NULL);
  zdtm_ready();
  while (!zdtm_stop) pause();
  unsigned long before[NTHREADS];
  pthread_mutex_lock(&lock);
  for (int i = 0; i < NTHREADS; ++i) before[i] = own_count[i];
  pthread_mutex_unlock(&lock);
  nanosleep(&settle, NULL);
  stop_threads = 1;
  for (int i = 0; i < NTHREADS; ++i) pthread_join(threads[i], NULL);
  unsigned long sum = 0;
  for (int i = 0; i < NTHREADS; ++i) {
    if (own_count[i] <= before[i]) zdtm_fail("thread %d stopped counting", i);
    sum += own_count[i];
  }
  if (broken) zdtm_fail("a thread lost its state (%d)", broken);
  if (sum != shared_count) zdtm_fail("shared counter %lu != sum %lu", shared_count, sum);
  zdtm_pass();
}
