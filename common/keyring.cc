#include "common/keyring.h"

#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"

namespace ckpt {

void join_new_session_keyring() {
  if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) >= 0 || errno == ENOSYS) return;
  throw_errno("keyctl(KEYCTL_JOIN_SESSION_KEYRING)");
}

}  // namespace ckpt
