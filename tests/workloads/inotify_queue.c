// The queue of an inotify instance: events left unread cannot be read without taking them from
// the original, nor queued again in a copy, so the dump refuses them by name; an empty queue
// comes back empty. Watches with every event on a tmpfs directory (argv[2]) and a file in it.
// After the checkpoint nothing may be queued but the open, access and close events of the
// dump's own reading of the tmpfs (in the original, which the README documents), then a file made in the directory must give IN_CREATE on the directory's wd, and a write to
// the file IN_MODIFY on the file's.
// argv[3] "queued": an IN_CREATE is left queued unread (the dump must refuse it).
#define _GNU_SOURCE
#include <sys/inotify.h>
#include <sys/stat.h>

#include "zdtm.h"

static int in, wd_dir, wd_file;
static char dir[512], file[600], made[600];

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
  if (mkdir(dir, 0755) != 0) zdtm_fail("mkdir: %s", strerror(errno));
  int fd = open(file, O_CREAT | O_RDWR, 0644);
  if (fd < 0 || write(fd, "contents", 8) != 8) zdtm_fail("write: %s", strerror(errno));
  close(fd);
  in = inotify_init1(IN_NONBLOCK);
  wd_dir = inotify_add_watch(in, dir, IN_ALL_EVENTS);
  wd_file = inotify_add_watch(in, file, IN_ALL_EVENTS);
  if (wd_dir < 0 || wd_file < 0) zdtm_fail("inotify_add_watch: %s", strerror(errno));
  if (queued) close(open(made, O_CREAT | O_WRONLY, 0644));
  zdtm_ready();
  while (!zdtm_stop) pause();
  struct inotify_event* e;
  if (queued) {
    e = next_event();
    if (!e || e->wd != wd_dir || !(e->mask & IN_CREATE)) zdtm_fail("the queued IN_CREATE is gone");
    zdtm_pass();
  }
  // Only the dump's own reading of the tmpfs may have queued something (in the original).
  const uint32_t reading = IN_OPEN | IN_ACCESS | IN_CLOSE_NOWRITE | IN_ISDIR;
  while ((e = next_event()) != NULL)
    if (e->mask & ~reading) zdtm_fail("an event nobody here caused: wd %d mask %x", e->wd, e->mask);
  close(open(made, O_CREAT | O_WRONLY, 0644));
  fd = open(file, O_WRONLY | O_APPEND);
  if (fd < 0 || write(fd, "more", 4) != 4) zdtm_fail("append: %s", strerror(errno));
  close(fd);
  int created = 0, modified = 0;
  while ((e = next_event()) != NULL) {
    if (e->wd == wd_dir && (e->mask & IN_CREATE) && !strcmp(e->name, "made-after")) created = 1;
    if (e->wd == wd_file && (e->mask & IN_MODIFY)) modified = 1;
  }
  if (!created) zdtm_fail("no IN_CREATE on the directory's wd %d", wd_dir);
  if (!modified) zdtm_fail("no IN_MODIFY on the file's wd %d", wd_file);
  zdtm_pass();
}
