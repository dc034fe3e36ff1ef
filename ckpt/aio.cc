#include "ckpt/aio.h"

#include <cstring>

#include "common/aio_ring.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/ptrace/remote_memory.h"

namespace ckpt::dump {

bool is_aio_ring(const proc::MapEntry& map) {
  return map.shared && map.name == kAioRingName;
}

void describe_aio_ring(pid_t pid, records::Vma& vma) {
  std::string bytes(vma.size(), '\0');
  ptrace::read_memory(pid, vma.start, bytes.data(), bytes.size());
  AioRingHeader h{};
  std::memcpy(&h, bytes.data(), sizeof h);
  uint64_t slots = (vma.size() - sizeof h) / kAioEventSize;
  if (h.magic != kAioRingMagic || h.nr != slots || h.head >= h.nr || h.tail >= h.nr)
    fail(ErrorKind::kRefused,
         "process {}: AIO ring at {:#x}-{:#x} has a header this ckpt does not know (magic {:#x}, "
         "nr {}, head {}, tail {})",
         pid, vma.start, vma.end, h.magic, h.nr, h.head, h.tail);
  vma.aio_ring = std::move(bytes);
}

}  // namespace ckpt::dump
