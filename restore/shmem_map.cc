// The tracer's half of the shared memory restore: each kSharedObject VMA mapped again from the
// object fd the process inherited from the root task (restore/shmem.h).
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#include "common/error.h"
#include "common/records/ipc.h"
#include "restore/mm.h"
#include "restore/shmem.h"

namespace ckpt::restore {

namespace {

using records::SharedObjectKind;

}  // namespace

SharedMappings::SharedMappings(const image::ImageReader& image, pid_t ns_pid) {
  if (!image.has(image::SectionType::kSharedMemObjects, 0)) return;
  state_ = image.get<records::SharedMemState>(image::SectionType::kSharedMemObjects, 0);
  if (state_.objects.empty()) return;
  first_fd_ = object_fd(image.get<records::FilesState>(image::SectionType::kFiles, 0),
                        state_.objects[0].id);
  for (const auto& mapping : state_.mappings)
    if (mapping.ns_pid == ns_pid) object_at_[mapping.start] = mapping.object;
  if (image.has(image::SectionType::kIpc, 0))
    for (const auto& seg : image.get<records::IpcNamespace>(image::SectionType::kIpc, 0).shm)
      if (seg.destroyed) removed_segments_.insert(seg.perm.id);
}

void SharedMappings::map(Restorer& r, const records::Vma& vma) const {
  auto it = object_at_.find(vma.start);
  if (it == object_at_.end() || it->second == 0 || it->second > state_.objects.size())
    fail("process {}: no shared memory object for the mapping at {:#x}", r.ns_pid(), vma.start);
  const records::SharedObject& object = state_.objects[it->second - 1];
  if (object.kind == SharedObjectKind::kSysvShm) return attach_segment(r, vma, object);
  auto fd = static_cast<uint64_t>(first_fd_ + static_cast<int>(object.id - state_.objects[0].id));
  long at = r.main().checked("mmap shared memory object", SYS_mmap, vma.start, vma.size(),
                             initial_prot(vma), vma.flags | MAP_FIXED, fd, vma.offset);
  if (static_cast<uint64_t>(at) != vma.start)
    fail("process {}: shared memory mapped at {:#x}, not {:#x}", r.ns_pid(), at, vma.start);
}

void SharedMappings::attach_segment(Restorer& r, const records::Vma& vma,
                                    const records::SharedObject& object) const {
  // Attached writable when it was (and mprotect()ed as it was below): a read-only attach has
  // neither VM_SHARED nor VM_MAYWRITE, and could never be made writable again.
  bool writable = (vma.prot & PROT_WRITE) || vma.may_write;
  uint64_t flags = (writable ? 0 : SHM_RDONLY) | (vma.prot & PROT_EXEC ? SHM_EXEC : 0);
  uint64_t whole = (object.size + 4095) / 4096 * 4096;
  bool in_part = vma.offset != 0 || vma.size() != whole;
  // A part (the rest unmapped, or split off by mprotect): attached whole where the kernel finds
  // room (its own place held by a reservation meanwhile), the part moved to its address, the
  // rest unmapped.
  if (in_part)
    r.main().checked("mmap reservation", SYS_mmap, vma.start, vma.size(), PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
                     static_cast<uint64_t>(-1), 0);
  long at = r.main().call(SYS_shmat, static_cast<uint64_t>(object.shm_id), in_part ? 0 : vma.start,
                          flags);
  if (at < 0)
    fail("process {}: shmat(SysV shm id {}, {:#x}): {}", r.ns_pid(), object.shm_id, vma.start,
         strerror(static_cast<int>(-at)));
  if (in_part) {
    auto base = static_cast<uint64_t>(at);
    if (vma.offset + vma.size() > whole)
      fail("process {}: SysV shm id {} is {} bytes, the mapping at {:#x} ends past it",
           r.ns_pid(), object.shm_id, whole, vma.start);
    r.main().checked("mremap SysV shm part", SYS_mremap, base + vma.offset, vma.size(),
                     vma.size(), MREMAP_MAYMOVE | MREMAP_FIXED, vma.start);
    if (vma.offset) r.main().checked("munmap SysV shm head", SYS_munmap, base, vma.offset);
    uint64_t tail = vma.offset + vma.size();
    if (tail < whole)
      r.main().checked("munmap SysV shm tail", SYS_munmap, base + tail, whole - tail);
  } else if (static_cast<uint64_t>(at) != vma.start) {
    fail("process {}: SysV shm id {} attached at {:#x}, not {:#x}", r.ns_pid(), object.shm_id, at,
         vma.start);
  }
  uint32_t attached =
      PROT_READ | (flags & SHM_RDONLY ? 0 : PROT_WRITE) | (flags & SHM_EXEC ? PROT_EXEC : 0);
  if (attached != vma.prot)
    r.main().checked("mprotect SysV shm", SYS_mprotect, vma.start, vma.size(), vma.prot);
  // Linux lets a removed segment be attached by id while it is attached somewhere.
  if (removed_segments_.count(object.shm_id))
    r.main().checked("shmctl IPC_RMID", SYS_shmctl, static_cast<uint64_t>(object.shm_id), IPC_RMID,
                     0);
}

void SharedMappings::close_inherited(Restorer& r) const {
  if (first_fd_ < 0) return;
  auto last = static_cast<uint64_t>(first_fd_) + state_.objects.size() - 1;
  r.main().checked("close_range shared memory fds", SYS_close_range,
                   static_cast<uint64_t>(first_fd_), last, 0);
}

}  // namespace ckpt::restore
