// A process that chroot()ed: a child chroots into a directory (argv[2], made here, holding a
// marker file) and keeps a file of it open and mapped; its parent stays at the real root. On
// SIGTERM the parent asks the child (SIGUSR1) to check that its root is still the directory
// (the marker is at /marker, the directory's own path is not there), that its open file and mapping
// read the marker, and that the parent's root is unchanged.
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "zdtm.h"

#define MARKER "chroot marker\n"

static volatile sig_atomic_t check_now = 0;

static void on_usr1(int sig) {
  (void)sig;
  check_now = 1;
}

static int child_check(int fd, const char* mapped, const char* dir) {
  char buf[64] = {0};
  int in = open("/marker", O_RDONLY | O_CLOEXEC);
  if (in < 0) return 2;
  if (read(in, buf, sizeof buf - 1) != (ssize_t)strlen(MARKER) || strcmp(buf, MARKER) != 0) return 3;
  close(in);
  memset(buf, 0, sizeof buf);
  if (pread(fd, buf, sizeof buf - 1, 0) != (ssize_t)strlen(MARKER) || strcmp(buf, MARKER) != 0) return 4;
  if (memcmp(mapped, MARKER, strlen(MARKER)) != 0) return 5;
  struct stat st;
  if (stat(dir, &st) == 0) return 6;  // the directory's path is outside the chroot
  return 0;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (argc < 3) zdtm_fail("usage: chroot RESULT DIR");
  char path[512];
  mkdir(argv[2], 0755);
  snprintf(path, sizeof path, "%s/marker", argv[2]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, MARKER, strlen(MARKER)) != (ssize_t)strlen(MARKER))
    zdtm_fail("write the marker: %s", strerror(errno));
  close(fd);
  signal(SIGUSR1, on_usr1);
  int ready[2];
  if (pipe(ready) != 0) zdtm_fail("pipe");
  pid_t child = fork();
  if (child == 0) {
    signal(SIGTERM, SIG_IGN);
    if (chroot(argv[2]) != 0 || chdir("/") != 0) _exit(10);
    int held = open("/marker", O_RDONLY | O_CLOEXEC);
    if (held < 0) _exit(11);
    const char* mapped = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, held, 0);
    if (mapped == MAP_FAILED) _exit(12);
    if (write(ready[1], "r", 1) != 1) _exit(13);
    while (!check_now) pause();
    _exit(child_check(held, mapped, argv[2]));
  }
  char byte;
  if (read(ready[0], &byte, 1) != 1) zdtm_fail("the child did not chroot");
  zdtm_ready();
  while (!zdtm_stop) pause();

  struct stat st;
  if (stat(argv[2], &st) != 0) zdtm_fail("the parent's root changed");
  kill(child, SIGUSR1);
  int status = 0;
  if (waitpid(child, &status, 0) != child) zdtm_fail("waitpid: %s", strerror(errno));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    zdtm_fail("the chrooted child: status %#x (2 no /marker, 3 its text, 4 fd, 5 mapping, 6 not chrooted)",
              status);
  zdtm_pass();
}
