// A thread that changed its own user id with the raw system call (glibc's setuid() would change
// every thread): its process holds threads of two users, which a restore cannot make. The dump
// must refuse it by pid and thread, and the process runs on unharmed.
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

#include "zdtm.h"

static volatile int changed = 0;

static void* thread_main(void* arg) {
  (void)arg;
  if (syscall(SYS_setresuid, 65534, 65534, 65534) == 0) changed = 1;
  for (;;) pause();
  return NULL;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  pthread_t thread;
  zdtm_start_thread(&thread, thread_main, NULL);
  while (!changed) usleep(1000);
  zdtm_ready();
  while (!zdtm_stop) pause();
  if (getuid() != 0) zdtm_fail("the main thread is no longer root");
  zdtm_pass();
}
