// Two processes sharing one fd table: the child made by clone(CLONE_FILES). On SIGTERM the parent
// opens a new fd and the child (told through a shared page) must see it in the same table
// (kcmp KCMP_FILES says so too). ckpt refuses this tree by name; the original keeps running.
#define _GNU_SOURCE
#include <linux/kcmp.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "zdtm.h"

struct shared {
  volatile int fd;      // set by the parent once opened
  volatile int answer;  // 1: the child sees it, 2: it does not
};

static struct shared* shared;

static int child_main(void* arg) {
  (void)arg;
  signal(SIGTERM, SIG_IGN);
  while (shared->fd < 0) usleep(1000);
  shared->answer = fcntl(shared->fd, F_GETFD) >= 0 ? 1 : 2;
  return 0;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) zdtm_fail("mmap: %s", strerror(errno));
  shared->fd = -1;
  size_t stack_size = 256 * 1024;
  char* stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  pid_t child = clone(child_main, stack + stack_size, CLONE_FILES | SIGCHLD, NULL);
  if (child < 0) zdtm_fail("clone: %s", strerror(errno));
  zdtm_ready();
  while (!zdtm_stop) pause();

  if (syscall(SYS_kcmp, getpid(), child, KCMP_FILES, 0, 0) != 0)
    zdtm_fail("the child's fd table is no longer the parent's");
  int fds[2];
  if (pipe(fds) != 0) zdtm_fail("pipe: %s", strerror(errno));
  shared->fd = fds[1];
  int status = 0;
  if (waitpid(child, &status, 0) != child) zdtm_fail("waitpid: %s", strerror(errno));
  if (shared->answer != 1) zdtm_fail("the child does not see an fd its parent opened");
  zdtm_pass();
}
