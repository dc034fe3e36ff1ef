// The main thread calls pthread_exit while another thread runs on: the process shows "Z" as its
// state but lives. Every call the dump and restore make on a process goes through its main
// thread, so the dump must refuse it by name (it failed with an error about /proc/PID/ns).
// argv[3] "child": a child of the container's init is that process (the init forwards SIGTERM).
#define _GNU_SOURCE
#include "zdtm.h"

static void* worker(void* arg) {
  (void)arg;
  zdtm_ready();
  while (!zdtm_stop) pause();
  char path[64], line[128], state = '?';
  snprintf(path, sizeof path, "/proc/%d/status", getpid());
  FILE* f = fopen(path, "r");
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "State:", 6)) state = line[7];
  if (f) fclose(f);
  if (state != 'Z') zdtm_fail("main thread state %c", state);
  zdtm_pass();
  return NULL;
}

static void exit_main_thread(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) != 0) zdtm_fail("pthread_create");
  pthread_exit(NULL);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (argc < 4 || strcmp(argv[3], "child")) exit_main_thread();
  pid_t child = fork();
  if (child == 0) exit_main_thread();
  while (!zdtm_stop) pause();
  kill(child, SIGTERM);
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
