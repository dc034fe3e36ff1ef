// A process whose working directory was removed while it was in it: argv[2]/gone is made,
// entered (with a file "f" opened in it, fd 3, and deleted) and removed. On SIGTERM it passes when
// its cwd is still a removed directory ("/proc/self/cwd" reads "<argv[2]>/gone (deleted)", and
// "." has no links and no name: creating a file in it fails with ENOENT) and the file in it still
// reads back. With argv[3] "retaken", a new directory is made at argv[2]/gone after the removal:
// the cwd is still the removed one, and the new directory stays.
#include <sys/stat.h>

#include "zdtm.h"

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  char dir[300], expected[320];
  snprintf(dir, sizeof dir, "%s/gone", argc > 2 ? argv[2] : "/tmp");
  snprintf(expected, sizeof expected, "%s (deleted)", dir);
  if (mkdir(dir, 0750) != 0 || chdir(dir) != 0) zdtm_fail("mkdir %s: %m", dir);
  int fd = open("f", O_RDWR | O_CREAT, 0600);
  if (fd < 0 || dup2(fd, 3) != 3 || write(3, "kept", 4) != 4) zdtm_fail("file: %m");
  if (fd != 3) close(fd);
  if (unlink("f") != 0 || rmdir(dir) != 0) zdtm_fail("remove %s: %m", dir);
  int retaken = argc > 3 && strcmp(argv[3], "retaken") == 0;
  if (retaken && mkdir(dir, 0755) != 0) zdtm_fail("make %s again: %m", dir);
  zdtm_ready();
  while (!zdtm_stop) pause();
  char link[400];
  ssize_t n = readlink("/proc/self/cwd", link, sizeof link - 1);
  if (n < 0) zdtm_fail("readlink cwd: %m");
  link[n] = 0;
  if (strcmp(link, expected) != 0) zdtm_fail("cwd is '%.150s', expected '%.150s'", link, expected);
  struct stat st;
  if (stat(".", &st) != 0 || !S_ISDIR(st.st_mode) || st.st_nlink != 0)
    zdtm_fail("cwd is not a removed directory (links %lu)", (unsigned long)st.st_nlink);
  if (open("new", O_WRONLY | O_CREAT, 0600) >= 0 || errno != ENOENT)
    zdtm_fail("a file could be made in the removed cwd (%m)");
  char buf[8] = {0};
  if (pread(3, buf, sizeof buf, 0) != 4 || memcmp(buf, "kept", 4) != 0)
    zdtm_fail("the deleted file reads '%s'", buf);
  struct stat taken;
  if (retaken && (stat(dir, &taken) != 0 || !S_ISDIR(taken.st_mode) || taken.st_nlink != 2))
    zdtm_fail("the new directory at %s is gone", dir);
  zdtm_pass();
}
