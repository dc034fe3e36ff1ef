// The network namespace's sysctls: every file under /proc/sys/net that the calling thread's
// netns lets root read and write. Kept by the image (netns/sysctl) and compared by the audit.
#pragma once

#include <vector>

#include "common/records/net.h"

namespace ckpt::proc {

// Every readable, writable sysctl of the calling thread's netns, values trimmed, sorted by path.
std::vector<records::NetSysctl> read_net_sysctls();

}  // namespace ckpt::proc
