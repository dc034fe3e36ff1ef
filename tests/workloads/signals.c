// Signal state across a checkpoint: a SIGUSR1 handler with SA_SIGINFO and a mask, SIGUSR2
// blocked with one instance pending (queued with a value), SIGPIPE ignored, an alternate
// signal stack, an ITIMER_REAL interval timer whose ticks keep coming.
// On SIGTERM: all of that must still be so, and unblocking SIGUSR2 must deliver the value.
#include <sys/time.h>
#include <time.h>

#include "zdtm.h"

static volatile sig_atomic_t usr2_value = -1;
static volatile sig_atomic_t alarms;
static char altstack[65536];

static void on_usr1(int sig, siginfo_t* info, void* ctx) {
  (void)sig;
  (void)info;
  (void)ctx;
}
static void on_usr2(int sig, siginfo_t* info, void* ctx) {
  (void)sig;
  (void)ctx;
  usr2_value = info->si_value.sival_int;
}
static void on_alarm(int sig) {
  (void)sig;
  ++alarms;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaddset(&sa.sa_mask, SIGHUP);
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_sigaction = on_usr2;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR2, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  sigaction(SIGRTMIN + 3, &sa, NULL);  // a real-time signal with a handler
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;  // SIGCHLD's flags act even with the default action
  sa.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  sigaltstack(&ss, NULL);

  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  sigprocmask(SIG_BLOCK, &block, NULL);
  union sigval value = {.sival_int = 4242};
  sigqueue(getpid(), SIGUSR2, value);

  struct itimerval timer = {{0, 50 * 1000}, {0, 50 * 1000}};
  setitimer(ITIMER_REAL, &timer, NULL);
  zdtm_ready();
  while (!zdtm_stop) pause();

  int alarms_then = alarms;
  struct timespec wait = {0, 300 * 1000 * 1000};
  while (nanosleep(&wait, &wait) != 0) {
  }
  if (alarms <= alarms_then) zdtm_fail("the interval timer stopped");
  struct itimerval now;
  getitimer(ITIMER_REAL, &now);
  if (now.it_interval.tv_usec != 50 * 1000)
    zdtm_fail("timer interval is %ld us", (long)now.it_interval.tv_usec);

  struct sigaction got;
  sigaction(SIGUSR1, NULL, &got);
  if (got.sa_sigaction != on_usr1 || !(got.sa_flags & SA_SIGINFO) || !(got.sa_flags & SA_ONSTACK) ||
      !sigismember(&got.sa_mask, SIGHUP))
    zdtm_fail("SIGUSR1 action changed");
  sigaction(SIGPIPE, NULL, &got);
  if (got.sa_handler != SIG_IGN) zdtm_fail("SIGPIPE no longer ignored");
  sigaction(SIGRTMIN + 3, NULL, &got);
  if (got.sa_handler != on_alarm || !(got.sa_flags & SA_RESTART))
    zdtm_fail("SIGRTMIN+3 action changed");
  sigaction(SIGCHLD, NULL, &got);
  if (got.sa_handler != SIG_DFL || !(got.sa_flags & SA_NOCLDSTOP))
    zdtm_fail("SIGCHLD lost SA_NOCLDSTOP");
  stack_t cur;
  sigaltstack(NULL, &cur);
  if (cur.ss_sp != altstack || cur.ss_size != sizeof altstack) zdtm_fail("alternate stack changed");

  sigset_t pending, mask;
  sigpending(&pending);
  if (!sigismember(&pending, SIGUSR2)) zdtm_fail("SIGUSR2 no longer pending");
  sigprocmask(SIG_BLOCK, NULL, &mask);
  if (!sigismember(&mask, SIGUSR2)) zdtm_fail("SIGUSR2 no longer blocked");
  sigprocmask(SIG_UNBLOCK, &block, NULL);
  if (usr2_value != 4242) zdtm_fail("SIGUSR2 delivered value %d", (int)usr2_value);
  zdtm_pass();
}
