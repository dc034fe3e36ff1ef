// A child in seccomp strict mode (only read, write, exit and sigreturn allowed) waits in read()
// on a pipe. After the checkpoint the parent wakes it: it must answer with the value it computed
// before entering strict mode, and still be strict (its next getppid() kills it with SIGKILL).
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "zdtm.h"

static void strict_child(int wake_fd, int answer_fd) {
  unsigned long long value = 0x5eed0000ull + (unsigned long long)getpid();
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0) syscall(SYS_exit, 2);
  char c = 'S';
  if (syscall(SYS_write, answer_fd, &c, 1) != 1) syscall(SYS_exit, 3);
  if (syscall(SYS_read, wake_fd, &c, 1) != 1) syscall(SYS_exit, 4);
  if (syscall(SYS_write, answer_fd, &value, sizeof value) != sizeof value) syscall(SYS_exit, 5);
  syscall(SYS_getppid);  // not allowed in strict mode: SIGKILL
  syscall(SYS_exit, 0);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  int wake[2], answer[2];
  if (pipe(wake) != 0 || pipe(answer) != 0) zdtm_fail("pipe: %s", strerror(errno));
  pid_t child = fork();
  if (child == 0) strict_child(wake[0], answer[1]);
  char c = 0;
  if (read(answer[0], &c, 1) != 1 || c != 'S') zdtm_fail("the child did not enter strict mode");
  zdtm_ready();
  while (!zdtm_stop) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  int mode = zdtm_status_number(child, "Seccomp");
  if (mode != 1) zdtm_fail("child %d is in seccomp mode %d, not strict (1)", child, mode);
  if (write(wake[1], "w", 1) != 1) zdtm_fail("wake: %s", strerror(errno));
  unsigned long long value = 0;
  if (read(answer[0], &value, sizeof value) != sizeof value)
    zdtm_fail("no answer from the strict child");
  if (value != 0x5eed0000ull + (unsigned long long)child)
    zdtm_fail("the strict child answered %#llx", value);
  int status = 0;
  if (waitpid(child, &status, 0) != child) zdtm_fail("waitpid: %s", strerror(errno));
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
    zdtm_fail("the child was not killed by its strict mode (status %#x)", status);
  zdtm_pass();
}
