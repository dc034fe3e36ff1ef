#include "restore/aio.h"

#include <fcntl.h>
#include <linux/aio_abi.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/aio_ring.h"
#include "common/error.h"
#include "common/ptrace/remote_memory.h"

namespace ckpt::restore {

namespace {

// Scratch data layout of this step.
constexpr uint64_t kContextAt = Restorer::kDataOffset;
constexpr uint64_t kIocbsAt = Restorer::kDataOffset + 0x1000;
constexpr uint64_t kIocbPointersAt = kIocbsAt + 0x4000;
constexpr uint64_t kEventsAt = kIocbPointersAt + 0x1000;
constexpr uint32_t kBatch = 128;  // iocbs per io_submit (4 KiB of pointers, 8 KiB of events)

AioRingHeader header_of(const std::string& bytes) {
  AioRingHeader h{};
  std::memcpy(&h, bytes.data(), sizeof h);
  return h;
}

AioRingHeader read_header(Restorer& r, uint64_t ring) {
  AioRingHeader h{};
  ptrace::read_memory(r.host_pid(), ring, &h, sizeof h);
  return h;
}

// `count` reads of nothing from `fd` (each completes inside io_submit), their events taken
// again at once when `take`.
void complete_requests(Restorer& r, uint64_t ctx, uint32_t count, bool take, uint32_t slots) {
  uint32_t batch = std::min(kBatch, slots - 1);
  while (count > 0) {
    uint32_t n = std::min(count, batch);
    long done = r.main().checked("io_submit", SYS_io_submit, ctx, n, r.scratch() + kIocbPointersAt);
    if (done <= 0) fail("io_submit of {} requests submitted {}", n, done);
    if (take)
      r.main().checked("io_getevents", SYS_io_getevents, ctx, done, done, r.scratch() + kEventsAt,
                       0);
    count -= static_cast<uint32_t>(done);
  }
}

void write_requests(Restorer& r, int fd) {
  std::vector<iocb> iocbs(kBatch);
  std::vector<uint64_t> pointers(kBatch);
  for (uint32_t i = 0; i < kBatch; ++i) {
    iocbs[i] = {};
    iocbs[i].aio_lio_opcode = IOCB_CMD_PREAD;
    iocbs[i].aio_fildes = static_cast<uint32_t>(fd);
    iocbs[i].aio_buf = r.scratch() + kEventsAt;
    pointers[i] = r.scratch() + kIocbsAt + i * sizeof(iocb);
  }
  r.write(kIocbsAt, iocbs.data(), iocbs.size() * sizeof(iocb));
  r.write(kIocbPointersAt, pointers.data(), pointers.size() * sizeof(uint64_t));
}

void restore_ring(Restorer& r, const records::Vma& vma) {
  AioRingHeader dumped = header_of(vma.aio_ring);
  uint64_t ctx = 0;
  r.write(kContextAt, &ctx, sizeof ctx);
  r.main().checked("io_setup", SYS_io_setup, aio_setup_events(vma.size()), r.scratch() + kContextAt);
  r.read(kContextAt, &ctx, sizeof ctx);
  AioRingHeader made = read_header(r, ctx);
  if (made.nr != dumped.nr)
    fail("process {}: the AIO ring at {:#x} had {} slots, io_setup makes {} on this host",
         r.ns_pid(), vma.start, dumped.nr, made.nr);
  r.main().checked("mremap AIO ring", SYS_mremap, ctx, vma.size(), vma.size(),
                   MREMAP_MAYMOVE | MREMAP_FIXED, vma.start);
  ctx = vma.start;  // the kernel follows its ring: the context id is its address
  long fd = r.main().checked("open /dev/null", SYS_openat, static_cast<uint64_t>(AT_FDCWD),
                             r.put_path("/dev/null"), O_RDONLY | O_CLOEXEC);
  write_requests(r, static_cast<int>(fd));
  complete_requests(r, ctx, dumped.head, true, dumped.nr);
  complete_requests(r, ctx, (dumped.tail + dumped.nr - dumped.head) % dumped.nr, false, dumped.nr);
  r.main().checked("close", SYS_close, fd);
  ptrace::write_memory(r.host_pid(), vma.start + sizeof(AioRingHeader),
                       vma.aio_ring.data() + sizeof(AioRingHeader),
                       vma.aio_ring.size() - sizeof(AioRingHeader));
  AioRingHeader now = read_header(r, vma.start);
  if (now.head != dumped.head || now.tail != dumped.tail)
    fail("process {}: the AIO ring at {:#x} has head {} tail {}, wanted {} {}", r.ns_pid(),
         vma.start, now.head, now.tail, dumped.head, dumped.tail);
}

}  // namespace

void restore_aio_rings(Restorer& r, const records::MmState& mm) {
  for (const records::Vma& vma : mm.vmas)
    if (vma.kind == records::VmaKind::kAioRing) restore_ring(r, vma);
}

}  // namespace ckpt::restore
