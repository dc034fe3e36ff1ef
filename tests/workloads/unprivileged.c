// A child that, as root, lowers some limits and mlock()s a buffer, then becomes nobody
// (uid/gid 65534, groups 65534 and 5) like a server worker dropping privileges. After the
// checkpoint it must still be nobody with the same groups, limits and locked memory; it tells
// its verdict to the parent (it cannot write the result file) through a pipe.
#define _GNU_SOURCE
#include <grp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "zdtm.h"

#define NOBODY 65534
#define LOCKED (16 * 1024)

static long status_kb(const char* key) {
  char buf[8192];
  int fd = open("/proc/self/status", O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char* at = strstr(buf, key);
  return at ? atol(at + strlen(key)) : -1;
}

static const char* check(const unsigned char* buf) {
  static char why[200];
  uid_t r, e, s;
  gid_t gr, ge, gs;
  getresuid(&r, &e, &s);
  getresgid(&gr, &ge, &gs);
  if (r != NOBODY || e != NOBODY || s != NOBODY) return "uids are not nobody";
  if (gr != NOBODY || ge != NOBODY || gs != NOBODY) return "gids are not nogroup";
  gid_t groups[8];
  int n = getgroups(8, groups);
  if (n != 2 || groups[0] != 5 || groups[1] != NOBODY) return "supplementary groups differ";
  struct rlimit files, core;
  getrlimit(RLIMIT_NOFILE, &files);
  getrlimit(RLIMIT_CORE, &core);
  if (files.rlim_cur != 200 || files.rlim_max != 4096) return "RLIMIT_NOFILE differs";
  if (core.rlim_cur != 0 || core.rlim_max != 1024 * 1024) return "RLIMIT_CORE differs";
  for (int i = 0; i < LOCKED; ++i)
    if (buf[i] != (unsigned char)(i * 7)) return "locked buffer contents differ";
  long locked = status_kb("VmLck:");
  if (locked != LOCKED / 1024) {
    snprintf(why, sizeof why, "VmLck %ld kB, wanted %d", locked, LOCKED / 1024);
    return why;
  }
  return NULL;
}

static void worker(int verdict_fd) {
  struct rlimit files = {200, 4096}, core = {0, 1024 * 1024};
  if (setrlimit(RLIMIT_NOFILE, &files) != 0 || setrlimit(RLIMIT_CORE, &core) != 0) _exit(2);
  unsigned char* buf =
      mmap(NULL, LOCKED, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < LOCKED; ++i) buf[i] = (unsigned char)(i * 7);
  if (mlock(buf, LOCKED) != 0) _exit(3);
  gid_t groups[] = {NOBODY, 5};
  if (setgroups(2, groups) != 0 || setresgid(NOBODY, NOBODY, NOBODY) != 0 ||
      setresuid(NOBODY, NOBODY, NOBODY) != 0)
    _exit(4);
  zdtm_tell(verdict_fd, check(buf));
  while (!zdtm_stop) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  zdtm_tell(verdict_fd, check(buf));
  _exit(0);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  zdtm_run_worker(worker);
}
