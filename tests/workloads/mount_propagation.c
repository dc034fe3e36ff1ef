// Mount propagation across a checkpoint. argv[2]: a tmpfs of the container's own. Under it: a
// tmpfs made shared ("shared"), a bind of it made after ("peer", in the same peer group), and a
// tmpfs made unbindable ("unbindable"). After the restore: "shared" and "peer" are shared and
// peers of each other (the group's number may change), "unbindable" still is.
#define _GNU_SOURCE
#include <sys/mount.h>
#include <sys/stat.h>

#include "zdtm.h"

static char base[256];

// The optional fields of the mount at `dir` in mountinfo ("shared:N", "unbindable", ...).
static void propagation_of(const char* dir, char* out, size_t size) {
  FILE* f = fopen("/proc/self/mountinfo", "r");
  if (!f) zdtm_fail("mountinfo: %s", strerror(errno));
  char line[2048];
  out[0] = 0;
  while (fgets(line, sizeof line, f)) {
    char mount_point[512];
    if (sscanf(line, "%*d %*d %*s %*s %511s", mount_point) != 1 || strcmp(mount_point, dir)) continue;
    char* dash = strstr(line, " - ");
    if (!dash) zdtm_fail("mountinfo line without ' - '");
    *dash = 0;
    char* field = line;
    for (int i = 0; i < 6 && field; ++i) {
      field = strchr(field, ' ');
      if (field) ++field;
    }
    snprintf(out, size, "%s", field ? field : "");
  }
  fclose(f);
}

static void path(char* out, const char* name) { snprintf(out, 300, "%s/%s", base, name); }

static void mount_tmpfs(const char* name, unsigned long propagation) {
  char dir[300];
  path(dir, name);
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) zdtm_fail("mkdir %s: %s", dir, strerror(errno));
  if (mount(name, dir, "tmpfs", 0, "size=1m") != 0) zdtm_fail("mount %s: %s", dir, strerror(errno));
  if (mount(NULL, dir, NULL, propagation, NULL) != 0) zdtm_fail("propagation %s: %s", dir, strerror(errno));
}

static void check(const char* when) {
  char dir[300], shared[256], peer[256], unbindable[256];
  path(dir, "shared");
  propagation_of(dir, shared, sizeof shared);
  path(dir, "peer");
  propagation_of(dir, peer, sizeof peer);
  path(dir, "unbindable");
  propagation_of(dir, unbindable, sizeof unbindable);
  zdtm_report("%s: shared [%s] peer [%s] unbindable [%s]", when, shared, peer, unbindable);
  if (strncmp(shared, "shared:", 7) != 0) zdtm_fail("%s: 'shared' is not shared", when);
  if (strcmp(shared, peer) != 0) zdtm_fail("%s: 'peer' is not in the group of 'shared'", when);
  if (strcmp(unbindable, "unbindable") != 0) zdtm_fail("%s: 'unbindable' is not", when);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  snprintf(base, sizeof base, "%s", argc > 2 ? argv[2] : "/tmp");
  mount_tmpfs("shared", MS_SHARED);
  char from[300], to[300];
  path(from, "shared");
  path(to, "peer");
  if (mkdir(to, 0755) != 0 && errno != EEXIST) zdtm_fail("mkdir %s", to);
  if (mount(from, to, NULL, MS_BIND, NULL) != 0) zdtm_fail("bind: %s", strerror(errno));
  mount_tmpfs("unbindable", MS_UNBINDABLE);
  check("before");
  zdtm_ready();
  while (!zdtm_stop) pause();
  check("after");
  zdtm_pass();
}
