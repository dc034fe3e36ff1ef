// The machine-check memory error policy (prctl PR_MCE_KILL) is a thread's own: the main thread
// asks for early kills, a second thread for late ones, a third keeps the system's default.
// Each must come back with its own (it came back as the default).
#define _GNU_SOURCE
#include <sys/prctl.h>

#include "zdtm.h"

static volatile int policy_of[3] = {-1, -1, -1};
static volatile int check_now;

static void* worker(void* arg) {
  long i = (long)arg;
  if (i == 1 && prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_LATE, 0, 0) != 0)
    zdtm_fail("PR_MCE_KILL late: %s", strerror(errno));
  policy_of[i] = prctl(PR_MCE_KILL_GET, 0, 0, 0, 0);
  while (!check_now) usleep(1000);
  int now = prctl(PR_MCE_KILL_GET, 0, 0, 0, 0);
  if (now != policy_of[i]) zdtm_fail("thread %ld: MCE kill policy %d, was %d", i, now, policy_of[i]);
  policy_of[i] = -2;
  return NULL;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  pthread_t threads[2];
  for (long i = 1; i <= 2; i++) pthread_create(&threads[i - 1], NULL, worker, (void*)i);
  if (prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0) != 0)
    zdtm_fail("PR_MCE_KILL early: %s", strerror(errno));
  while (policy_of[1] < 0 || policy_of[2] < 0) usleep(1000);
  if (policy_of[1] != PR_MCE_KILL_LATE || policy_of[2] != PR_MCE_KILL_DEFAULT)
    zdtm_fail("set up: %d %d", policy_of[1], policy_of[2]);
  zdtm_ready();
  while (!zdtm_stop) pause();
  int main_policy = prctl(PR_MCE_KILL_GET, 0, 0, 0, 0);
  if (main_policy != PR_MCE_KILL_EARLY) zdtm_fail("main thread: MCE kill policy %d", main_policy);
  check_now = 1;
  for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
  zdtm_pass();
}
