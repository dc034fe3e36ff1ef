// Files removed while open, across a checkpoint. In directory argv[2] (a tmpfs of the container):
// a directory "dir" (mode 0751) open at fd 3 then removed; a FIFO "fifo" open read-write at fd 4
// holding "fifo data" then removed; an O_PATH|O_NOFOLLOW fd (5) on the symlink "link" -> "target";
// a file "sub/f" open at fd 6 holding "in a removed directory", then removed with its directory;
// a device node "null" (1:3) in directory argv[3] (a tmpfs may be nodev) open at fd 7 then removed.
// On SIGTERM every fd is still of its type and removed (no links; "(deleted)" after the path,
// the device's aside), the directory keeps its mode and takes no new entry, the FIFO and the file
// read back, the symlink reads its target, the device is /dev/null again.
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "zdtm.h"

static char dir[256];

static void path_of(char* out, size_t size, const char* name) {
  snprintf(out, size, "%s/%s", dir, name);
}

static void at(int fd, int want) {
  if (fd < 0) zdtm_fail("open for fd %d: %m", want);
  if (fd != want && (dup2(fd, want) != want || close(fd) != 0)) zdtm_fail("dup2 %d: %m", want);
}

static void expect_removed(int fd, const char* name, mode_t type) {
  struct stat st;
  if (fstat(fd, &st) != 0) zdtm_fail("fstat fd %d: %m", fd);
  if ((st.st_mode & S_IFMT) != type) zdtm_fail("fd %d is of type 0%o", fd, st.st_mode & S_IFMT);
  if (st.st_nlink != 0) zdtm_fail("fd %d has %lu links", fd, (unsigned long)st.st_nlink);
  char proc[64], link[512], want[300];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(proc, link, sizeof link - 1);
  if (n < 0) zdtm_fail("readlink fd %d: %m", fd);
  link[n] = 0;
  snprintf(want, sizeof want, "%s/%s (deleted)", dir, name);
  if (strcmp(link, want) != 0) zdtm_fail("fd %d is '%.150s', expected '%.150s'", fd, link, want);
}

static void expect_data(int fd, const char* data) {
  char buf[64] = {0};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n != (ssize_t)strlen(data) || strcmp(buf, data) != 0)
    zdtm_fail("fd %d reads '%s' (%zd), expected '%s'", fd, buf, n, data);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  snprintf(dir, sizeof dir, "%s", argc > 2 ? argv[2] : "/tmp");
  char path[320];
  path_of(path, sizeof path, "dir");
  if (mkdir(path, 0751) != 0) zdtm_fail("mkdir: %m");
  chmod(path, 0751);
  at(open(path, O_RDONLY | O_DIRECTORY), 3);
  if (rmdir(path) != 0) zdtm_fail("rmdir: %m");
  path_of(path, sizeof path, "fifo");
  if (mkfifo(path, 0640) != 0) zdtm_fail("mkfifo: %m");
  at(open(path, O_RDWR | O_NONBLOCK), 4);
  if (write(4, "fifo data", 9) != 9 || unlink(path) != 0) zdtm_fail("fifo: %m");
  path_of(path, sizeof path, "link");
  if (symlink("target", path) != 0) zdtm_fail("symlink: %m");
  at(open(path, O_PATH | O_NOFOLLOW), 5);
  path_of(path, sizeof path, "sub");
  if (mkdir(path, 0755) != 0) zdtm_fail("mkdir sub: %m");
  path_of(path, sizeof path, "sub/f");
  at(open(path, O_RDWR | O_CREAT, 0600), 6);
  if (write(6, "in a removed directory", 22) != 22) zdtm_fail("write: %m");
  lseek(6, 0, SEEK_SET);
  if (unlink(path) != 0) zdtm_fail("unlink: %m");
  path_of(path, sizeof path, "sub");
  if (rmdir(path) != 0) zdtm_fail("rmdir sub: %m");
  snprintf(path, sizeof path, "%s/null", argc > 3 ? argv[3] : "/tmp");
  if (mknod(path, S_IFCHR | 0666, makedev(1, 3)) != 0) zdtm_fail("mknod: %m");
  at(open(path, O_RDWR), 7);
  if (unlink(path) != 0) zdtm_fail("unlink null: %m");
  zdtm_ready();
  while (!zdtm_stop) pause();
  expect_removed(3, "dir", S_IFDIR);
  struct stat st;
  if (fstat(3, &st) != 0 || (st.st_mode & 07777) != 0751) zdtm_fail("dir mode 0%o", st.st_mode & 07777);
  if (openat(3, "new", O_WRONLY | O_CREAT, 0600) >= 0 || errno != ENOENT)
    zdtm_fail("a file could be made in the removed directory (%m)");
  expect_removed(4, "fifo", S_IFIFO);
  expect_data(4, "fifo data");
  if (fstat(5, &st) != 0 || !S_ISLNK(st.st_mode)) zdtm_fail("fd 5 is not the symlink");
  char link[64] = {0};
  if (readlinkat(5, "", link, sizeof link - 1) != 6 || strcmp(link, "target") != 0)
    zdtm_fail("the symlink reads '%s'", link);
  expect_removed(6, "sub/f", S_IFREG);
  expect_data(6, "in a removed directory");
  if (fstat(7, &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3) || st.st_nlink != 0)
    zdtm_fail("fd 7 is not a removed /dev/null node");
  if (write(7, "x", 1) != 1) zdtm_fail("write to the null device: %m");
  zdtm_pass();
}
