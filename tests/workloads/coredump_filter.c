// /proc/self/coredump_filter (which mappings a core dump holds) is a setting of a process's
// memory: the parent sets 0x7b, its child (which inherited that at fork) then 0x23. Each must
// come back with its own (they came back as the default, 0x33).
#define _GNU_SOURCE
#include "zdtm.h"

static void set_filter(unsigned value) {
  FILE* f = fopen("/proc/self/coredump_filter", "w");
  if (!f || fprintf(f, "%#x", value) < 0 || fclose(f) != 0) zdtm_fail("write coredump_filter");
}

static unsigned filter(void) {
  unsigned value = 0;
  FILE* f = fopen("/proc/self/coredump_filter", "r");
  if (!f || fscanf(f, "%x", &value) != 1) zdtm_fail("read coredump_filter");
  fclose(f);
  return value;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  set_filter(0x7b);
  int done[2];
  if (pipe(done) != 0) zdtm_fail("pipe");
  pid_t child = fork();
  if (child == 0) {
    set_filter(0x23);
    char c;
    if (read(done[0], &c, 1) != 1) _exit(2);  // the parent's check is over: ours now
    _exit(filter() == 0x23 ? 0 : 1);
  }
  zdtm_ready();
  while (!zdtm_stop) pause();
  unsigned mine = filter();
  if (write(done[1], "c", 1) != 1) zdtm_fail("write");
  int status = 0;
  waitpid(child, &status, 0);
  if (mine != 0x7b) zdtm_fail("parent: coredump_filter %#x, was 0x7b", mine);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) zdtm_fail("child: coredump_filter changed");
  zdtm_pass();
}
