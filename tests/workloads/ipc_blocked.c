// Processes blocked in SysV IPC across a checkpoint: one child waits in msgrcv() for a message
// of type 5, another in semop() to take a semaphore that is 0. On SIGTERM the parent sends the
// message and raises the semaphore; both children must complete their call with exactly that
// message and unit (reporting through their exit status) within a few seconds.
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>

#include "zdtm.h"

struct message {
  long type;
  char text[32];
};

static const char kText[] = "wake up, child";

static void receiver(int queue) {
  struct message m;
  ssize_t n;
  while ((n = msgrcv(queue, &m, sizeof m.text, 5, 0)) < 0 && errno == EINTR) {
  }
  _exit(n == sizeof kText && m.type == 5 && memcmp(m.text, kText, sizeof kText) == 0 ? 0 : 2);
}

static void taker(int sems) {
  struct sembuf take = {0, -1, 0};
  int rc;
  while ((rc = semop(sems, &take, 1)) < 0 && errno == EINTR) {
  }
  _exit(rc == 0 && semctl(sems, 0, GETVAL) == 0 ? 0 : 3);
}

static int wait_exit(pid_t child, const char* what) {
  for (int i = 0; i < 500; ++i) {
    int status;
    pid_t got = waitpid(child, &status, WNOHANG);
    if (got == child) {
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        zdtm_fail("%s child ended with status 0x%x", what, status);
      return 0;
    }
    usleep(10 * 1000);
  }
  zdtm_fail("%s child still blocked 5 s after being woken", what);
}

static int blocked_in(pid_t child, const char* syscall_name) {
  char path[64], wchan[64] = "";
  snprintf(path, sizeof path, "/proc/%d/wchan", child);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, wchan, sizeof wchan - 1);
  close(fd);
  return n > 0 && strstr(wchan, syscall_name) != NULL;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  int queue = msgget(IPC_PRIVATE, 0600);
  int sems = semget(IPC_PRIVATE, 1, 0600);
  if (queue < 0 || sems < 0) zdtm_fail("msgget/semget: %s", strerror(errno));
  pid_t receiver_pid = fork();
  if (receiver_pid == 0) receiver(queue);
  pid_t taker_pid = fork();
  if (taker_pid == 0) taker(sems);
  for (int i = 0; i < 500 && !(blocked_in(receiver_pid, "msg") && blocked_in(taker_pid, "sem"));
       ++i)
    usleep(10 * 1000);
  zdtm_ready();
  while (!zdtm_stop) pause();

  struct message m = {5, ""};
  memcpy(m.text, kText, sizeof kText);
  if (msgsnd(queue, &m, sizeof kText, 0) != 0) zdtm_fail("msgsnd: %s", strerror(errno));
  struct sembuf give = {0, 1, 0};
  if (semop(sems, &give, 1) != 0) zdtm_fail("semop: %s", strerror(errno));
  wait_exit(receiver_pid, "msgrcv");
  wait_exit(taker_pid, "semop");
  msgctl(queue, IPC_RMID, NULL);
  semctl(sems, 0, IPC_RMID);
  zdtm_pass();
}
