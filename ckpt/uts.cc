#include "ckpt/uts.h"

#include <sched.h>
#include <sys/utsname.h>

#include "common/error.h"
#include "common/ns/in_thread.h"

namespace ckpt::dump {

records::UtsState collect_uts(pid_t pid) {
  return ns::in_namespaces_of(pid, CLONE_NEWUTS, [] {
    struct utsname u {};
    if (::uname(&u) != 0) throw_errno("uname");
    return records::UtsState{u.nodename, u.domainname};
  });
}

}  // namespace ckpt::dump
