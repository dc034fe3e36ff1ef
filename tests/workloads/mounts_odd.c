// Mounts a container makes for itself that the kernel shows with escapes or in layers: tmpfs
// mounts whose paths hold a space, a tab and a backslash (mountinfo's \040, \011, \134); a
// tmpfs mounted over another at one mount point (each with a file of its own); /proc/sys bound
// on itself and remounted read-only; a file bound over /dev/console. After the checkpoint each
// must be mounted again as it was. argv[2]: a tmpfs of the container's own to mount under.
#define _GNU_SOURCE
#include <sys/mount.h>
#include <sys/stat.h>

#include "zdtm.h"

static char base[128];
static const char* const odd[] = {"with space", "with\ttab", "with\\backslash"};

static void path_of(char* out, size_t size, const char* name) {
  snprintf(out, size, "%s/%s", base, name);
}

static void put(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
    zdtm_fail("write %s: %s", path, strerror(errno));
  close(fd);
}

static const char* get(const char* path) {
  static char text[64];
  memset(text, 0, sizeof text);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return "(none)";
  if (read(fd, text, sizeof text - 1) < 0) strcpy(text, "(unreadable)");
  close(fd);
  return text;
}

static void tmpfs_at(const char* dir) {
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) zdtm_fail("mkdir %s: %s", dir, strerror(errno));
  if (mount("odd", dir, "tmpfs", 0, "size=1m") != 0)
    zdtm_fail("mount %s: %s", dir, strerror(errno));
}

static int is_mount_point(const char* dir) {
  struct stat here, up;
  char parent[300];
  snprintf(parent, sizeof parent, "%.290s/..", dir);
  return stat(dir, &here) == 0 && stat(parent, &up) == 0 && here.st_dev != up.st_dev;
}

static void check(const char* when) {
  char path[256], file[300];
  for (size_t i = 0; i < sizeof odd / sizeof *odd; ++i) {
    path_of(path, sizeof path, odd[i]);
    if (!is_mount_point(path)) zdtm_fail("%s: '%s' is not a mount point", when, odd[i]);
    snprintf(file, sizeof file, "%s/file", path);
    if (strcmp(get(file), odd[i]) != 0)
      zdtm_fail("%s: the file in '%s' holds '%s'", when, odd[i], get(file));
  }
  path_of(path, sizeof path, "over/which");
  if (strcmp(get(path), "upper") != 0)
    zdtm_fail("%s: the upper tmpfs holds '%s'", when, get(path));
  int fd = open("/proc/sys/kernel/hostname", O_WRONLY);
  if (fd >= 0 || errno != EROFS) zdtm_fail("%s: /proc/sys is writable", when);
  if (strcmp(get("/dev/console"), "console") != 0)
    zdtm_fail("%s: /dev/console shows '%s'", when, get("/dev/console"));
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (argc < 3) zdtm_fail("usage: mounts_odd RESULT TMPFS");
  snprintf(base, sizeof base, "%s", argv[2]);
  char path[256], file[300];
  for (size_t i = 0; i < sizeof odd / sizeof *odd; ++i) {
    path_of(path, sizeof path, odd[i]);
    tmpfs_at(path);
    snprintf(file, sizeof file, "%s/file", path);
    put(file, odd[i]);
  }
  path_of(path, sizeof path, "over");
  tmpfs_at(path);
  path_of(file, sizeof file, "over/which");
  put(file, "lower");
  tmpfs_at(path);
  put(file, "upper");
  if (mount("/proc/sys", "/proc/sys", NULL, MS_BIND | MS_REC, NULL) != 0 ||
      mount(NULL, "/proc/sys", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0)
    zdtm_fail("/proc/sys read-only: %s", strerror(errno));
  path_of(file, sizeof file, "console");
  put(file, "console");
  if (mount(file, "/dev/console", NULL, MS_BIND, NULL) != 0)
    zdtm_fail("bind over /dev/console: %s", strerror(errno));
  check("before the checkpoint");
  zdtm_ready();
  while (!zdtm_stop) pause();
  check("after the checkpoint");
  // The lower tmpfs is still under the upper one.
  path_of(path, sizeof path, "over");
  path_of(file, sizeof file, "over/which");
  if (umount(path) != 0) zdtm_fail("umount the upper tmpfs: %s", strerror(errno));
  if (strcmp(get(file), "lower") != 0) zdtm_fail("the lower tmpfs holds '%s'", get(file));
  zdtm_pass();
}
