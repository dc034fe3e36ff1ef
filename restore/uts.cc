#include "restore/uts.h"

#include <unistd.h>

#include "common/error.h"

namespace ckpt::restore {

void restore_uts(const records::UtsState& uts) {
  if (::sethostname(uts.hostname.data(), uts.hostname.size()) != 0)
    throw_errno("sethostname({})", uts.hostname);
  if (::setdomainname(uts.domainname.data(), uts.domainname.size()) != 0)
    throw_errno("setdomainname({})", uts.domainname);
}

}  // namespace ckpt::restore
