// The queue of an inotify instance: events left unread cannot be read without taking them from
// the original, nor queued again in a copy, so the dump refuses them by name; an empty queue
// comes back empty. Watches with every event on a tmpfs (argv[2], the mount point), a directory
// and a file in it, and a file removed while held open. The dump reads all of them (the tmpfs's
// files, the removed file's data, the mount point to find the watched inodes by their handles):
// after the checkpoint nothing may be queued, in the original as in the copy (the dump mutes the
// reading events of the watches while it reads: ckpt/inotify_muted), so a second dump is not
// refused either; then a file made in the directory must give IN_CREATE on the directory's wd, a
// write to the file IN_MODIFY on the file's, a read of the removed file IN_ACCESS on its own.
// argv[3] "queued": an IN_CREATE is left queued unread (the dump must refuse it).
#define _GNU_SOURCE
#include <sys/inotify.h>
#include <sys/stat.h>

#include "zdtm.h"

static int in, wd_top, wd_dir, wd_file, wd_gone;
static char dir[512], file[600], made[600], gone[600];

// The next event queued, or NULL when none is.
static struct inotify_event* next_event(void) {
  static char buf[4096] __attribute__((aligned(8)));
  static ssize_t len, at;
  if (at >= len) {
    len = read(in, buf, sizeof buf);
    at = 0;
    if (len <= 0) return NULL;
  }
  struct inotify_event* e = (struct inotify_event*)(buf + at);
  at += sizeof *e + e->len;
  return e;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (argc < 3) zdtm_fail("usage: inotify_queue RESULT DIR [queued]");
  int queued = argc > 3 && !strcmp(argv[3], "queued");
  snprintf(dir, sizeof dir, "%s/watched", argv[2]);
  snprintf(file, sizeof file, "%s/file", dir);
  snprintf(made, sizeof made, "%s/made-after", dir);
  snprintf(gone, sizeof gone, "%s/gone", dir);
  if (mkdir(dir, 0755) != 0) zdtm_fail("mkdir: %s", strerror(errno));
  int fd = open(file, O_CREAT | O_RDWR, 0644);
  if (fd < 0 || write(fd, "contents", 8) != 8) zdtm_fail("write: %s", strerror(errno));
  close(fd);
  int held = open(gone, O_CREAT | O_RDWR, 0644);
  if (held < 0 || write(held, "removed data", 12) != 12) zdtm_fail("write: %s", strerror(errno));
  in = inotify_init1(IN_NONBLOCK);
  wd_top = inotify_add_watch(in, argv[2], IN_ALL_EVENTS);
  wd_dir = inotify_add_watch(in, dir, IN_ALL_EVENTS);
  wd_file = inotify_add_watch(in, file, IN_ALL_EVENTS);
  wd_gone = inotify_add_watch(in, gone, IN_ALL_EVENTS);
  if (wd_top < 0 || wd_dir < 0 || wd_file < 0 || wd_gone < 0)
    zdtm_fail("inotify_add_watch: %s", strerror(errno));
  if (unlink(gone) != 0) zdtm_fail("unlink: %s", strerror(errno));
  while (next_event() != NULL) {}  // the unlink's own events
  if (queued) close(open(made, O_CREAT | O_WRONLY, 0644));
  zdtm_ready();
  while (!zdtm_stop) pause();
  struct inotify_event* e;
  if (queued) {
    e = next_event();
    if (!e || e->wd != wd_dir || !(e->mask & IN_CREATE)) zdtm_fail("the queued IN_CREATE is gone");
    zdtm_pass();
  }
  if ((e = next_event()) != NULL)
    zdtm_fail("an event nobody here caused: wd %d mask %x name '%s'", e->wd, e->mask,
              e->len ? e->name : "");
  close(open(made, O_CREAT | O_WRONLY, 0644));
  fd = open(file, O_WRONLY | O_APPEND);
  if (fd < 0 || write(fd, "more", 4) != 4) zdtm_fail("append: %s", strerror(errno));
  close(fd);
  char buf[16];
  if (pread(held, buf, sizeof buf, 0) != 12) zdtm_fail("pread of the removed file: %s", strerror(errno));
  int created = 0, modified = 0, accessed = 0;
  while ((e = next_event()) != NULL) {
    if (e->wd == wd_dir && (e->mask & IN_CREATE) && !strcmp(e->name, "made-after")) created = 1;
    if (e->wd == wd_file && (e->mask & IN_MODIFY)) modified = 1;
    if (e->wd == wd_gone && (e->mask & IN_ACCESS)) accessed = 1;
  }
  if (!created) zdtm_fail("no IN_CREATE on the directory's wd %d", wd_dir);
  if (!modified) zdtm_fail("no IN_MODIFY on the file's wd %d", wd_file);
  if (!accessed) zdtm_fail("no IN_ACCESS on the removed file's wd %d", wd_gone);
  zdtm_pass();
}
