// inotify watches on inodes whose names are gone: a file and a directory watched, held open and
// unlinked (removed), next to a watch on a file that keeps its name. After the checkpoint each
// watch keeps its wd and is on the very file the process holds: a write to the removed file, a
// chmod of the removed directory and of the named file each queue their event, and closing the
// removed file's last fd ends its watch (IN_DELETE_SELF, IN_IGNORED) as the kernel does.
// argv[2]: a directory to make the files in; argv[3] "cwd": the removed directory is held as the
// working directory only (no fd), which the dump refuses by name.
#define _GNU_SOURCE
#include <sys/inotify.h>
#include <sys/stat.h>

#include "zdtm.h"

static int inotify_fd, file_fd, dir_fd, file_wd, dir_wd, named_wd;
static char named[512];
static int held_as_cwd;

static void set_up(const char* dir) {
  char file[512], sub[512];
  snprintf(file, sizeof file, "%s/watched-file", dir);
  snprintf(sub, sizeof sub, "%s/watched-dir", dir);
  snprintf(named, sizeof named, "%s/named-file", dir);
  file_fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int named_fd = open(named, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (file_fd < 0 || named_fd < 0 || mkdir(sub, 0700) != 0) zdtm_fail("create: %m");
  close(named_fd);
  dir_fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (held_as_cwd && (dir_fd < 0 || fchdir(dir_fd) != 0 || close(dir_fd) != 0))
    zdtm_fail("cwd into the directory: %m");
  inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if ((!held_as_cwd && dir_fd < 0) || inotify_fd < 0) zdtm_fail("open: %m");
  named_wd = inotify_add_watch(inotify_fd, named, IN_ATTRIB);
  file_wd = inotify_add_watch(inotify_fd, file, IN_MODIFY | IN_DELETE_SELF);
  dir_wd = inotify_add_watch(inotify_fd, sub, IN_ATTRIB | IN_DELETE_SELF);
  if (named_wd < 0 || file_wd < 0 || dir_wd < 0) zdtm_fail("inotify_add_watch: %m");
  if (unlink(file) != 0 || rmdir(sub) != 0) zdtm_fail("remove: %m");
  char drain[4096];
  while (read(inotify_fd, drain, sizeof drain) > 0) {
  }
}

// The next event must be (wd, mask).
static void expect(int wd, uint32_t mask, const char* what) {
  static char buf[4096];
  static ssize_t len = 0, at = 0;
  if (at >= len) {
    len = read(inotify_fd, buf, sizeof buf);
    at = 0;
    if (len <= 0) zdtm_fail("%s: no event (wd %d mask %x wanted): %m", what, wd, mask);
  }
  struct inotify_event* e = (struct inotify_event*)(buf + at);
  at += sizeof *e + e->len;
  if (e->wd != wd || e->mask != mask)
    zdtm_fail("%s: event wd %d mask %x, wanted wd %d mask %x", what, e->wd, e->mask, wd, mask);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (argc < 3) zdtm_fail("usage: inotify_removed RESULT DIR");
  held_as_cwd = argc > 3 && strcmp(argv[3], "cwd") == 0;
  set_up(argv[2]);
  zdtm_ready();
  while (!zdtm_stop) pause();
  if (held_as_cwd) zdtm_pass();
  if (write(file_fd, "x", 1) != 1) zdtm_fail("write removed file: %m");
  expect(file_wd, IN_MODIFY, "write to the removed file");
  if (fchmod(dir_fd, 0750) != 0) zdtm_fail("fchmod removed dir: %m");
  expect(dir_wd, IN_ATTRIB | IN_ISDIR, "chmod of the removed directory");
  if (chmod(named, 0640) != 0) zdtm_fail("chmod the named file: %m");
  expect(named_wd, IN_ATTRIB, "chmod of the named file");
  close(file_fd);
  expect(file_wd, IN_DELETE_SELF, "last close of the removed file");
  expect(file_wd, IN_IGNORED, "last close of the removed file");
  zdtm_pass();
}
