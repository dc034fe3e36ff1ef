// A thread that changed its own user id with the raw system call (glibc's setuid() would change
// every thread): its process holds threads of two users, root with its capabilities and nobody
// with none. After a restore each thread must have its own credentials again.
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

#include "zdtm.h"

static volatile pid_t changed = 0;

static void* thread_main(void* arg) {
  (void)arg;
  if (syscall(SYS_setresuid, 65534, 65534, 65534) == 0) changed = (pid_t)syscall(SYS_gettid);
  for (;;) pause();
  return NULL;
}

// The first number after "Key:" in /proc/self/task/TID/status (ids decimal, capabilities hex).
static unsigned long long task_field(pid_t tid, const char* key, int base) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
  FILE* f = fopen(path, "r");
  if (!f) zdtm_fail("open %s", path);
  unsigned long long value = ~0ull;
  size_t n = strlen(key);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, key, n) && line[n] == ':') value = strtoull(line + n + 1, NULL, base);
  fclose(f);
  return value;
}

static void check(pid_t thread) {
  pid_t me = (pid_t)syscall(SYS_gettid);
  if (task_field(me, "Uid", 10) != 0) zdtm_fail("the main thread is no longer root");
  if (task_field(me, "CapEff", 16) == 0) zdtm_fail("the main thread lost its capabilities");
  if (task_field(thread, "Uid", 10) != 65534)
    zdtm_fail("thread %d: uid %llu, was 65534", thread, task_field(thread, "Uid", 10));
  if (task_field(thread, "CapEff", 16) != 0 || task_field(thread, "CapPrm", 16) != 0)
    zdtm_fail("thread %d has capabilities again", thread);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  pthread_t thread;
  zdtm_start_thread(&thread, thread_main, NULL);
  while (!changed) usleep(1000);
  check(changed);
  zdtm_ready();
  while (!zdtm_stop) pause();
  check(changed);
  zdtm_pass();
}
