// A key in the session keyring: its id is the kernel's to choose, so ckpt cannot bring it back
// and must refuse the dump by name; the process runs on and still finds its key. Without a key
// it checks that its session keyring is the container's own, empty and not the caller's: run
// with argv[2] = "empty".
#define _GNU_SOURCE
#include <linux/keyctl.h>
#include <sys/syscall.h>

#include "zdtm.h"

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  int with_key = argc < 3 || strcmp(argv[2], "empty") != 0;
  long key = -1;
  if (with_key) {
    key = syscall(SYS_add_key, "user", "ckpt-test-key", "secret", 6, KEY_SPEC_SESSION_KEYRING);
    if (key < 0) zdtm_fail("add_key: %s", strerror(errno));
  }
  long keys = syscall(SYS_keyctl, KEYCTL_READ, KEY_SPEC_SESSION_KEYRING, NULL, 0);
  if (keys != (with_key ? 4 : 0)) zdtm_fail("before: %ld bytes of keys in the session keyring", keys);
  zdtm_ready();
  while (!zdtm_stop) pause();
  keys = syscall(SYS_keyctl, KEYCTL_READ, KEY_SPEC_SESSION_KEYRING, NULL, 0);
  if (keys != (with_key ? 4 : 0)) zdtm_fail("after: %ld bytes of keys in the session keyring", keys);
  if (with_key) {
    char buf[16] = {0};
    if (syscall(SYS_keyctl, KEYCTL_READ, key, buf, sizeof buf) != 6 || memcmp(buf, "secret", 6))
      zdtm_fail("key %ld is gone or changed", key);
  }
  zdtm_pass();
}
