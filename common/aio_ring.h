// The ring of an AIO context (io_setup): a special mapping "/[aio] (deleted)" whose address is
// the context id, starting with this header (fs/aio.c struct aio_ring) and followed by `nr`
// struct io_event slots; completed events are those from `head` to `tail` (modulo nr).
#pragma once

#include <cstdint>
#include <string_view>

namespace ckpt {

inline constexpr std::string_view kAioRingName = "/[aio] (deleted)";
inline constexpr uint32_t kAioRingMagic = 0xa10a10a1;
inline constexpr uint64_t kAioEventSize = 32;  // struct io_event

struct AioRingHeader {
  uint32_t id;  // the context's index in the mm's table (the kernel's, never copied)
  uint32_t nr;  // event slots
  uint32_t head;
  uint32_t tail;
  uint32_t magic;
  uint32_t compat_features;
  uint32_t incompat_features;
  uint32_t header_length;
};
static_assert(sizeof(AioRingHeader) == 32);

// The io_setup nr_events that makes a ring of `ring_bytes` (a multiple of the page size): the
// kernel raises nr_events to 4 per possible CPU, doubles it, adds 2 and gives the ring every
// slot of the pages that takes, so (slots - 2) / 2 makes the same pages again (where 8 slots
// per possible CPU fit in them; restore checks the slots it got).
inline uint32_t aio_setup_events(uint64_t ring_bytes) {
  uint64_t slots = (ring_bytes - sizeof(AioRingHeader)) / kAioEventSize;
  return static_cast<uint32_t>((slots - 2) / 2);
}

}  // namespace ckpt
