// fanotify groups with inode, mount and filesystem marks, masks and ignored masks (both the old
// FAN_MARK_IGNORED_MASK and FAN_MARK_IGNORE). After the checkpoint each group must report exactly
// the events its marks select: a write of file-a (inode + mount marks; the filesystem group
// ignores it), an open of file-b (ignored by the mount mark), a write of file-c (mount and
// filesystem marks). The mount mark and a mark on the tmpfs's root directory ask for open (and
// access) events, which the dump's own reading of the tmpfs would cause: nothing may be queued
// after the checkpoint, in the original as in the copy (ckpt/event_files_muted).
// argv[2]: a tmpfs mount to make the files in (the mount and filesystem marks are on it);
// argv[3] "queued": an event is left queued unread, "permission": a group of FAN_CLASS_CONTENT
// asking to allow each open on the tmpfs (FAN_OPEN_PERM): both of which the dump refuses by name,
// the second before it reads any file of the container (its own open of a file of the tmpfs would
// wait for good for the frozen process to answer).
#define _GNU_SOURCE
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "zdtm.h"

static int by_mount, by_fs;
static char file_a[512], file_b[512], file_c[512];
static ino_t ino_a, ino_c;

static void must_mark(int fd, unsigned flags, uint64_t mask, const char* path) {
  if (fanotify_mark(fd, FAN_MARK_ADD | flags, mask, AT_FDCWD, path) != 0)
    zdtm_fail("fanotify_mark flags %x mask %llx: %m", flags, (unsigned long long)mask);
}

static ino_t touch(const char* path, int write_it) {
  int fd = open(path, (write_it ? O_WRONLY | O_CREAT : O_RDONLY) | O_CLOEXEC, 0644);
  if (fd < 0) zdtm_fail("open a file: %m");
  if (write_it && write(fd, "x", 1) != 1) zdtm_fail("write: %m");
  struct stat st;
  fstat(fd, &st);
  close(fd);
  return st.st_ino;
}

static void drain(int fd) {
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    for (struct fanotify_event_metadata* e = (void*)buf; FAN_EVENT_OK(e, n); e = FAN_EVENT_NEXT(e, n))
      if (e->fd >= 0) close(e->fd);
  }
}

// The events queued in `fd`: the masks of those on file-a and file-c, ORed; anything else fails.
static void events(int fd, uint64_t* on_a, uint64_t* on_c, const char* group) {
  char buf[4096];
  ssize_t n;
  *on_a = *on_c = 0;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    for (struct fanotify_event_metadata* e = (void*)buf; FAN_EVENT_OK(e, n);
         e = FAN_EVENT_NEXT(e, n)) {
      struct stat st;
      if (e->fd < 0 || fstat(e->fd, &st) != 0) zdtm_fail("%s: event without a file", group);
      close(e->fd);
      if (st.st_ino == ino_a) *on_a |= e->mask;
      else if (st.st_ino == ino_c) *on_c |= e->mask;
      else zdtm_fail("%s: event %llx on another file", group, (unsigned long long)e->mask);
    }
  }
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (argc < 3) zdtm_fail("usage: fanotify_marks RESULT DIR [queued|permission]");
  const char* mode = argc > 3 ? argv[3] : "";
  snprintf(file_a, sizeof file_a, "%s/file-a", argv[2]);
  snprintf(file_b, sizeof file_b, "%s/file-b", argv[2]);
  snprintf(file_c, sizeof file_c, "%s/file-c", argv[2]);
  touch(file_a, 1);
  touch(file_b, 1);
  touch(file_c, 1);
  by_mount = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE);
  by_fs = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE, O_RDONLY);
  if (by_mount < 0 || by_fs < 0) zdtm_fail("fanotify_init: %m");
  must_mark(by_mount, 0, FAN_MODIFY | FAN_CLOSE_WRITE, file_a);
  must_mark(by_mount, FAN_MARK_MOUNT, FAN_OPEN, argv[2]);
  must_mark(by_mount, 0, FAN_OPEN | FAN_ACCESS | FAN_ONDIR, argv[2]);
  must_mark(by_mount, FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORED_SURV_MODIFY, FAN_OPEN, file_b);
  must_mark(by_fs, FAN_MARK_FILESYSTEM, FAN_CLOSE_WRITE, argv[2]);
  must_mark(by_fs, FAN_MARK_IGNORE_SURV, FAN_CLOSE_WRITE, file_a);
  if (strcmp(mode, "permission") == 0) {
    int asking = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY);
    if (asking < 0) zdtm_fail("fanotify_init(FAN_CLASS_CONTENT): %m");
    must_mark(asking, FAN_MARK_MOUNT, FAN_OPEN_PERM, argv[2]);
  }
  drain(by_mount);
  drain(by_fs);
  if (strcmp(mode, "queued") == 0) touch(file_c, 1);
  zdtm_ready();
  while (!zdtm_stop) pause();
  if (*mode) zdtm_pass();  // refused: only that the dump left the process alone matters
  int queued = 0;
  if (ioctl(by_mount, FIONREAD, &queued) != 0 || queued != 0)
    zdtm_fail("mount group: %d bytes queued after the checkpoint", queued);
  if (ioctl(by_fs, FIONREAD, &queued) != 0 || queued != 0)
    zdtm_fail("filesystem group: %d bytes queued after the checkpoint", queued);
  struct stat st;  // a restored tmpfs numbers its inodes anew
  if (stat(file_a, &st) != 0) zdtm_fail("stat file-a: %m");
  ino_a = st.st_ino;
  if (stat(file_c, &st) != 0) zdtm_fail("stat file-c: %m");
  ino_c = st.st_ino;
  touch(file_a, 1);
  touch(file_b, 0);
  touch(file_c, 1);
  uint64_t a, c;
  events(by_mount, &a, &c, "mount group");
  if (a != (FAN_OPEN | FAN_MODIFY | FAN_CLOSE_WRITE) || c != FAN_OPEN)
    zdtm_fail("mount group: file-a %llx file-c %llx", (unsigned long long)a, (unsigned long long)c);
  events(by_fs, &a, &c, "filesystem group");
  if (a != 0 || c != FAN_CLOSE_WRITE)
    zdtm_fail("filesystem group: file-a %llx file-c %llx", (unsigned long long)a,
              (unsigned long long)c);
  zdtm_pass();
}
