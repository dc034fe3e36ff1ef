// POSIX timers across a checkpoint: a periodic CLOCK_MONOTONIC timer signalling the process
// with a value, a periodic timer signalling one thread (SIGEV_THREAD_ID), and a long one-shot
// SIGEV_NONE timer. On SIGTERM: the same timer ids exist, both periodic timers still tick with
// their values and periods, and the one-shot has less time left than at the start, but some.
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

#include "zdtm.h"

#define TICK_SIGNAL (SIGRTMIN)
#define THREAD_SIGNAL (SIGRTMIN + 1)

static volatile sig_atomic_t ticks, bad_value;
static volatile int thread_ticks;
static pid_t thread_tid;

static void on_tick(int sig, siginfo_t* info, void* ctx) {
  (void)sig;
  (void)ctx;
  if (info->si_value.sival_int != 77) bad_value = 1;
  ++ticks;
}

static void* thread_main(void* arg) {
  (void)arg;
  thread_tid = (pid_t)syscall(SYS_gettid);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, THREAD_SIGNAL);
  for (;;) {
    siginfo_t info;
    if (sigwaitinfo(&set, &info) == THREAD_SIGNAL && info.si_value.sival_int == 88)
      __atomic_add_fetch(&thread_ticks, 1, __ATOMIC_SEQ_CST);
  }
  return NULL;
}

static timer_t make_timer(clockid_t clock, int notify, int signo, int value, pid_t tid) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = notify;
  ev.sigev_signo = signo;
  ev.sigev_value.sival_int = value;
  ev._sigev_un._tid = tid;
  timer_t id;
  if (timer_create(clock, &ev, &id) != 0) zdtm_fail("timer_create: %s", strerror(errno));
  return id;
}

static void arm(timer_t id, long value_ms, long interval_ms) {
  struct itimerspec spec = {{interval_ms / 1000, (interval_ms % 1000) * 1000000},
                            {value_ms / 1000, (value_ms % 1000) * 1000000}};
  if (timer_settime(id, 0, &spec, NULL) != 0) zdtm_fail("timer_settime: %s", strerror(errno));
}

static double left(timer_t id, struct itimerspec* spec) {
  if (timer_gettime(id, spec) != 0) zdtm_fail("timer_gettime: %s", strerror(errno));
  return spec->it_value.tv_sec + spec->it_value.tv_nsec / 1e9;
}

static void expect_ticking(const char* what, volatile int* counter, int min) {
  int then = __atomic_load_n(counter, __ATOMIC_SEQ_CST);
  struct timespec wait = {0, 400 * 1000 * 1000};
  while (nanosleep(&wait, &wait) != 0) {
  }
  int now = __atomic_load_n(counter, __ATOMIC_SEQ_CST);
  if (now - then < min) zdtm_fail("%s timer: %d ticks in 400 ms", what, now - then);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, THREAD_SIGNAL);
  pthread_sigmask(SIG_BLOCK, &block, NULL);
  pthread_t thread;
  pthread_create(&thread, NULL, thread_main, NULL);
  while (!__atomic_load_n(&thread_tid, __ATOMIC_SEQ_CST)) usleep(1000);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_tick;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(TICK_SIGNAL, &sa, NULL);

  timer_t periodic = make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, TICK_SIGNAL, 77, 0);
  timer_t to_thread = make_timer(CLOCK_MONOTONIC, SIGEV_THREAD_ID, THREAD_SIGNAL, 88, thread_tid);
  timer_t one_shot = make_timer(CLOCK_REALTIME, SIGEV_NONE, 0, 0, 0);
  arm(periodic, 20, 20);
  arm(to_thread, 30, 30);
  arm(one_shot, 1000 * 1000, 0);
  struct itimerspec spec;
  double left_at_start = left(one_shot, &spec);
  zdtm_ready();
  while (!zdtm_stop) pause();

  expect_ticking("periodic", (volatile int*)&ticks, 5);
  expect_ticking("thread", &thread_ticks, 4);
  if (bad_value) zdtm_fail("a tick came with the wrong sigev_value");
  left(periodic, &spec);
  if (spec.it_interval.tv_sec != 0 || spec.it_interval.tv_nsec != 20 * 1000000)
    zdtm_fail("periodic timer interval is %ld ns", (long)spec.it_interval.tv_nsec);
  double now_left = left(one_shot, &spec);
  if (now_left <= 0 || now_left > left_at_start)
    zdtm_fail("one-shot timer has %.3f s left, had %.3f", now_left, left_at_start);
  zdtm_pass();
}
