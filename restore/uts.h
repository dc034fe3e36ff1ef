// Restore of the UTS namespace (hostname, domainname), in the container's root task.
#pragma once

#include "common/records/uts.h"

namespace ckpt::restore {

// Sets the hostname and domainname of the calling process's (new) UTS namespace.
void restore_uts(const records::UtsState& uts);

}  // namespace ckpt::restore
