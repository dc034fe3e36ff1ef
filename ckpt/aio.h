// Dump of AIO rings (io_setup contexts): the mapping is recorded as kind kAioRing with the ring's
// bytes (header and event slots), read while the process is stopped.
#pragma once

#include <sys/types.h>

#include "common/proc/maps.h"
#include "common/records/mm.h"

namespace ckpt::dump {

bool is_aio_ring(const proc::MapEntry& map);
// Fills vma.aio_ring; refuses a ring whose header is not one (by pid and address).
void describe_aio_ring(pid_t pid, records::Vma& vma);

}  // namespace ckpt::dump
