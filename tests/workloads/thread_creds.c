// A worker with threads drops its privileges like an nginx or postgres worker (glibc's setgroups
// and setres[ug]id change every thread): after the checkpoint each thread, asked by raw system
// calls (credentials belong to each thread), must still be nobody with groups 5 and 65534 and
// no capabilities. The worker tells its verdict to the parent through a pipe.
#define _GNU_SOURCE
#include <grp.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "zdtm.h"

#define NOBODY 65534
#define THREADS 2

static const char* check_thread(void) {
  static __thread char why[200];
  unsigned r, e, s;
  syscall(SYS_getresuid, &r, &e, &s);
  if (r != NOBODY || e != NOBODY || s != NOBODY) {
    snprintf(why, sizeof why, "uids %u %u %u", r, e, s);
    return why;
  }
  syscall(SYS_getresgid, &r, &e, &s);
  if (r != NOBODY || e != NOBODY || s != NOBODY) return "gids are not nogroup";
  unsigned groups[8];
  long n = syscall(SYS_getgroups, 8, groups);
  if (n != 2 || groups[0] != 5 || groups[1] != NOBODY) {
    snprintf(why, sizeof why, "%ld supplementary groups (%u ...), wanted 5 65534", n,
             n > 0 ? groups[0] : 0);
    return why;
  }
  char status[4096];
  int fd = open("/proc/thread-self/status", O_RDONLY);
  ssize_t got = fd < 0 ? -1 : read(fd, status, sizeof status - 1);
  if (fd >= 0) close(fd);
  if (got <= 0) return "cannot read /proc/thread-self/status";
  status[got] = 0;
  if (!strstr(status, "CapEff:\t0000000000000000")) return "effective capabilities left";
  return NULL;
}

static const char* verdicts[THREADS];
static volatile int stop_threads = 0;

static void* thread_main(void* arg) {
  long i = (long)arg;
  while (!stop_threads) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  verdicts[i] = check_thread();
  return NULL;
}

static void worker(int verdict_fd) {
  pthread_t threads[THREADS];
  for (long i = 0; i < THREADS; ++i) pthread_create(&threads[i], NULL, thread_main, (void*)i);
  gid_t groups[] = {NOBODY, 5};
  if (setgroups(2, groups) != 0 || setresgid(NOBODY, NOBODY, NOBODY) != 0 ||
      setresuid(NOBODY, NOBODY, NOBODY) != 0)
    _exit(4);
  zdtm_tell(verdict_fd, check_thread());
  while (!zdtm_stop) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  stop_threads = 1;
  for (int i = 0; i < THREADS; ++i) pthread_join(threads[i], NULL);
  const char* why = check_thread();
  for (int i = 0; i < THREADS && !why; ++i) why = verdicts[i];
  zdtm_tell(verdict_fd, why);
  _exit(0);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  zdtm_run_worker(worker);
}
