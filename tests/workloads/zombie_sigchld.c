// A parent whose child exited and is left a zombie: its SIGCHLD handler ran once, then it
// blocked SIGCHLD. After the checkpoint no second SIGCHLD may be pending (the restored zombie
// exits again as the restore makes it) nor delivered once unblocked, and the zombie is still
// there with its status.
#include <sys/wait.h>
#include <time.h>

#include "zdtm.h"

static volatile sig_atomic_t sigchlds = 0;

static void on_chld(int sig) {
  (void)sig;
  ++sigchlds;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  zdtm_handle(SIGCHLD, on_chld);
  pid_t child = fork();
  if (child == 0) _exit(7);
  while (sigchlds == 0) pause();
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  zdtm_ready();
  while (!zdtm_stop) pause();
  sigset_t pending;
  sigpending(&pending);
  if (sigismember(&pending, SIGCHLD)) zdtm_fail("a SIGCHLD is pending");
  sigprocmask(SIG_UNBLOCK, &chld, NULL);
  if (sigchlds != 1) zdtm_fail("SIGCHLD handled %d times", (int)sigchlds);
  siginfo_t info;
  memset(&info, 0, sizeof info);
  if (waitid(P_PID, child, &info, WEXITED | WNOHANG) != 0 || info.si_pid != child)
    zdtm_fail("the zombie child %d is gone", child);
  if (info.si_code != CLD_EXITED || info.si_status != 7)
    zdtm_fail("the zombie's status is %d/%d", info.si_code, info.si_status);
  zdtm_pass();
}
