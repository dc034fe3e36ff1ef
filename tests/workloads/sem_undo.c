// SEM_UNDO adjustments across a checkpoint. A set of three semaphores starts at 5, 0, 10.
// Child A takes 2 from sem 0 and gives 4 to sem 1, and its second thread takes 1 more from
// sem 0 (threads share one undo list); child B takes 7 from sem 2; all with SEM_UNDO, so the
// values become 2, 4, 3 and the kernel gives everything back when a child dies.
// On SIGTERM the parent (which holds no adjustment) checks the values, kills B and sees sem 2
// back at 10, then kills A and sees sems 0 and 1 back at 5 and 0.
#include <pthread.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>

#include "zdtm.h"

static int sems;
static int ready[2];  // children write a byte once their adjustments are made

static void take(unsigned short num, short delta) {
  struct sembuf op = {num, delta, SEM_UNDO};
  while (semop(sems, &op, 1) < 0)
    if (errno != EINTR) _exit(2);
}

static void* second_thread(void* unused) {
  (void)unused;
  take(0, -1);
  char c = 't';
  if (write(ready[1], &c, 1) != 1) _exit(3);
  for (;;) pause();
  return NULL;
}

static void child_a(void) {
  take(0, -2);
  take(1, 4);
  pthread_t thread;
  if (pthread_create(&thread, NULL, second_thread, NULL) != 0) _exit(4);
  for (;;) pause();
}

static void child_b(void) {
  take(2, -7);
  char c = 'b';
  if (write(ready[1], &c, 1) != 1) _exit(3);
  for (;;) pause();
}

static pid_t start(void (*body)(void)) {
  pid_t pid = fork();
  if (pid < 0) zdtm_fail("fork: %s", strerror(errno));
  if (pid == 0) body();
  char c;
  if (read(ready[0], &c, 1) != 1) zdtm_fail("a child did not get ready");
  return pid;
}

static void expect(const char* when, int v0, int v1, int v2) {
  int got[3];
  for (int i = 0; i < 3; ++i) got[i] = semctl(sems, i, GETVAL);
  if (got[0] != v0 || got[1] != v1 || got[2] != v2)
    zdtm_fail("%s: values %d,%d,%d, expected %d,%d,%d", when, got[0], got[1], got[2], v0, v1, v2);
}

static void kill_and_reap(pid_t child) {
  kill(child, SIGKILL);
  while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {
  }
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  sems = semget(0x5e40d0, 3, IPC_CREAT | 0600);
  if (sems < 0) zdtm_fail("semget: %s", strerror(errno));
  unsigned short initial[3] = {5, 0, 10};
  if (semctl(sems, 0, SETALL, initial) != 0) zdtm_fail("SETALL: %s", strerror(errno));
  if (pipe(ready) != 0) zdtm_fail("pipe: %s", strerror(errno));
  pid_t a = start(child_a);
  pid_t b = start(child_b);
  expect("before the checkpoint", 2, 4, 3);
  zdtm_ready();
  while (!zdtm_stop) pause();
  expect("after restore", 2, 4, 3);
  kill_and_reap(b);
  expect("B killed", 2, 4, 10);
  kill_and_reap(a);
  expect("A killed", 5, 0, 10);
  semctl(sems, 0, IPC_RMID);
  zdtm_pass();
}
