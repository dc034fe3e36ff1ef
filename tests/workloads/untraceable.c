// A process ckpt cannot trace, which the dump must refuse by name and leave running. argv[2]:
// "traced": a child traced by its parent (PTRACE_SEIZE, as a debugger or strace would);
// "vfork": a child that vfork()ed a grandchild which never execs (the two share memory, and the
// child waits in vfork() for good).
#define _GNU_SOURCE
#include <sys/ptrace.h>

#include "zdtm.h"

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  const char* mode = argc > 2 ? argv[2] : "traced";
  pid_t child = fork();
  if (child < 0) zdtm_fail("fork: %s", strerror(errno));
  if (child == 0) {
    if (strcmp(mode, "vfork") == 0 && vfork() == 0)
      for (;;) pause();  // never execs: its parent stays in vfork()
    for (;;) pause();
  }
  if (strcmp(mode, "traced") == 0 && ptrace(PTRACE_SEIZE, child, 0, 0) != 0)
    zdtm_fail("PTRACE_SEIZE: %s", strerror(errno));
  usleep(100000);
  zdtm_ready();
  while (!zdtm_stop) pause();
  kill(child, SIGKILL);
  zdtm_pass();
}
