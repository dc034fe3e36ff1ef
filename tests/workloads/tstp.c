// A child in its own process group stops itself with SIGTSTP (as Ctrl-Z would); the parent does
// not collect the stop report before the checkpoint. After it, the child must still be stopped,
// and the parent's waitpid(WUNTRACED) must report SIGTSTP as the stopping signal (not SIGSTOP);
// a SIGCONT then lets the child finish.
#include <sys/wait.h>
#include <time.h>

#include "zdtm.h"

static char state_of(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  if (n <= 0) return '?';
  buf[n] = 0;
  char* close_paren = strrchr(buf, ')');
  return close_paren ? close_paren[2] : '?';
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  pid_t child = fork();
  if (child == 0) {
    signal(SIGTERM, SIG_DFL);
    setpgid(0, 0);
    raise(SIGTSTP);
    _exit(42);  // after SIGCONT
  }
  setpgid(child, child);
  while (state_of(child) != 'T') {
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  zdtm_ready();
  while (!zdtm_stop) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (state_of(child) != 'T') zdtm_fail("the child is not stopped (state %c)", state_of(child));
  int status = 0;
  if (waitpid(child, &status, WUNTRACED | WNOHANG) != child)
    zdtm_fail("no stop report for the child");
  if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTSTP)
    zdtm_fail("the child's stop report is %#x, not SIGTSTP", status);
  kill(child, SIGCONT);
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 42)
    zdtm_fail("the child did not finish after SIGCONT (status %#x)", status);
  zdtm_pass();
}
