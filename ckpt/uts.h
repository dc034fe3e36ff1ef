#pragma once

#include <sys/types.h>

#include "common/records/uts.h"

namespace ckpt::dump {

// Hostname and domainname as seen inside the UTS namespace of `pid`.
records::UtsState collect_uts(pid_t pid);

}  // namespace ckpt::dump
