// Int socket options a workload sets and checks after the checkpoint (ZDTM style, see zdtm.h):
// zdtm_set_int records what the kernel reads back right after setting (it may round or double
// the value), zdtm_check_ints fails naming the first option that no longer reads the same.
#pragma once

#include <sys/socket.h>

#include "zdtm.h"

struct zdtm_option {
  int fd, level, name, value;
  const char* what;
};
static struct zdtm_option zdtm_options[96];
static int zdtm_option_count;

static void zdtm_set_int(int fd, int level, int name, int value, const char* what) {
  if (zdtm_option_count == (int)(sizeof zdtm_options / sizeof *zdtm_options))
    zdtm_fail("too many options");
  if (setsockopt(fd, level, name, &value, sizeof value) != 0) zdtm_fail("set %s: %m", what);
  struct zdtm_option* o = &zdtm_options[zdtm_option_count++];
  socklen_t len = sizeof o->value;
  if (getsockopt(fd, level, name, &o->value, &len) != 0) zdtm_fail("get %s: %m", what);
  o->fd = fd, o->level = level, o->name = name, o->what = what;
}

static void zdtm_check_ints(void) {
  for (int i = 0; i < zdtm_option_count; ++i) {
    const struct zdtm_option* o = &zdtm_options[i];
    int value = 0;
    socklen_t len = sizeof value;
    if (getsockopt(o->fd, o->level, o->name, &value, &len) != 0) zdtm_fail("get %s: %m", o->what);
    if (value != o->value) zdtm_fail("%s is %d, was %d", o->what, value, o->value);
  }
}
