#include "ckpt/uts.h"

#include <sched.h>
#include <sys/utsname.h>

#include "common/error.h"
#include "common/ns/enter.h"

namespace ckpt::dump {

records::UtsState collect_uts(pid_t pid) {
  std::string both = ns::run_in_namespaces_of(pid, CLONE_NEWUTS, [] {
    struct utsname u {};
    if (::uname(&u) != 0) throw_errno("uname");
    return std::string(u.nodename) + '\0' + u.domainname;
  });
  auto nul = both.find('\0');
  return {both.substr(0, nul), both.substr(nul + 1)};
}

}  // namespace ckpt::dump
