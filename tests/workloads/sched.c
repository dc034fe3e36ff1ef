// Scheduling per thread: the main thread at nice 7, a SCHED_BATCH thread at nice -5, a
// SCHED_IDLE thread, and (where the cgroup allows realtime) a SCHED_FIFO priority 10 thread with
// SCHED_FLAG_RESET_ON_FORK. After the checkpoint each thread must find its own attributes again.
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>

#include "zdtm.h"

struct attr {  // struct sched_attr, version 0 (48 bytes)
  uint32_t size, policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
};

struct wanted {
  uint32_t policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  const char* verdict;
};

static int set_mine(const struct wanted* w) {
  struct attr a = {sizeof a, w->policy, w->flags, w->nice, w->priority, 0, 0, 0};
  return (int)syscall(SYS_sched_setattr, 0, &a, 0);
}

static const char* check_mine(const struct wanted* w) {
  static __thread char why[200];
  struct attr a;
  memset(&a, 0, sizeof a);
  if (syscall(SYS_sched_getattr, 0, &a, sizeof a, 0) != 0) return "sched_getattr failed";
  int nice_matters = w->policy == SCHED_OTHER || w->policy == SCHED_BATCH;
  if (a.policy != w->policy || a.flags != w->flags || a.priority != w->priority ||
      (nice_matters && a.nice != w->nice)) {
    snprintf(why, sizeof why, "policy %u flags %#llx nice %d priority %u, wanted %u %#llx %d %u",
             a.policy, (unsigned long long)a.flags, a.nice, a.priority, w->policy,
             (unsigned long long)w->flags, w->nice, w->priority);
    return why;
  }
  return NULL;
}

static void* thread_main(void* arg) {
  struct wanted* w = arg;
  while (!zdtm_stop) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  w->verdict = check_mine(w);
  return NULL;
}

static int started = 0;

static void* start_thread(void* arg) {
  struct wanted* w = arg;
  if (set_mine(w) != 0) {
    w->verdict = "unset";
    __atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
    return NULL;
  }
  __atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
  return thread_main(arg);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  struct wanted main_w = {SCHED_OTHER, 0, 7, 0, NULL};
  struct wanted others[] = {
      {SCHED_BATCH, 0, -5, 0, NULL},
      {SCHED_IDLE, 0, 0, 0, NULL},
      {SCHED_FIFO, SCHED_FLAG_RESET_ON_FORK, 0, 10, NULL},
  };
  int n = sizeof others / sizeof others[0];
  if (set_mine(&main_w) != 0) zdtm_fail("nice 7: %s", strerror(errno));
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, NULL);
  pthread_t threads[3];
  for (int i = 0; i < n; ++i) pthread_create(&threads[i], NULL, start_thread, &others[i]);
  pthread_sigmask(SIG_UNBLOCK, &term, NULL);
  while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < n) {
    struct timespec ts = {0, 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  for (int i = 0; i < 2; ++i)
    if (others[i].verdict) zdtm_fail("thread %d could not set its policy", i);
  int realtime = others[2].verdict == NULL;
  zdtm_report("realtime %s", realtime ? "yes" : "no (refused in this cgroup)");
  zdtm_ready();
  while (!zdtm_stop) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  const char* why = check_mine(&main_w);
  if (why) zdtm_fail("main thread: %s", why);
  for (int i = 0; i < n; ++i) {
    if (i == 2 && !realtime) continue;
    pthread_join(threads[i], NULL);
    if (others[i].verdict) zdtm_fail("thread %d: %s", i, others[i].verdict);
  }
  zdtm_pass();
}
