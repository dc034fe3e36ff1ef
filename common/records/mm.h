// Memory of one process: its VMAs, the mm fields, and which pages the page stream holds.
#pragma once

#include "common/records/fields.h"
#include "common/records/mempolicy.h"
#include "common/records/page_run.h"

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::records {

enum class VmaKind : uint32_t {
  kAnonymous = 0,  // private or shared anonymous memory ([heap] and [stack] included)
  kFile = 1,       // a mapped file
  kVdso = 2,
  kVvar = 3,
  kVvarVclock = 4,
  kVsyscall = 5,  // fixed by the kernel; never recreated
  kSharedObject = 6,  // shared anonymous, memfd, SysV shm or deleted file: records/shmem.h
  kAioRing = 7,       // the ring of an io_setup context ("/[aio] (deleted)"): Vma::aio_ring
};

// The vDSO's parts and [vsyscall]: the kernel makes them; they carry no advice or policy.
inline bool is_kernel_made(VmaKind kind) {
  return kind == VmaKind::kVdso || kind == VmaKind::kVvar || kind == VmaKind::kVvarVclock ||
         kind == VmaKind::kVsyscall;
}

// madvise(2) advice a VMA carries (smaps VmFlags), put back once its pages are in.
enum VmaAdvice : uint32_t {
  kAdviceDontFork = 1u << 0,   // dc: MADV_DONTFORK
  kAdviceDontDump = 1u << 1,   // dd: MADV_DONTDUMP
  kAdviceHugePage = 1u << 2,   // hg: MADV_HUGEPAGE
  kAdviceNoHugePage = 1u << 3, // nh: MADV_NOHUGEPAGE
  kAdviceMergeable = 1u << 4,  // mg: MADV_MERGEABLE (KSM)
  kAdviceWipeOnFork = 1u << 5, // wf: MADV_WIPEONFORK
};

struct Vma {
  uint64_t start = 0;
  uint64_t end = 0;
  uint32_t prot = 0;    // PROT_*
  // MAP_PRIVATE, MAP_SHARED or MAP_DROPPABLE (0x08), plus MAP_GROWSDOWN, MAP_LOCKED, MAP_NORESERVE
  uint32_t flags = 0;
  uint64_t offset = 0;  // in the file, bytes
  VmaKind kind = VmaKind::kAnonymous;
  std::string name;  // path for files, "[heap]", "[stack]", "[vdso]" ...
  // Identity of the mapped file at dump time; restore refuses a file that changed.
  uint64_t dev = 0;
  uint64_t inode = 0;
  uint64_t file_size = 0;
  int64_t mtime_ns = 0;
  uint32_t advice = 0;  // VmaAdvice bits (version 2)
  // VM_MAYWRITE (VmFlags mw): a shared mapping that may be made writable, e.g. a SysV segment
  // attached writable and mprotect()ed read-only (version 3; older images: prot has PROT_WRITE).
  bool may_write = false;
  // kAioRing (version 4): the ring's bytes at dump time, header and event slots
  // (common/aio_ring.h); made again by io_setup, moved here, its head, tail and events set.
  std::string aio_ring;
  // Version 5: sealed by mseal(2) (VmFlags sl): no unmap, remap, mprotect or discard from then on.
  bool sealed = false;

  uint64_t size() const { return end - start; }
  bool private_anonymous() const {
    return kind == VmaKind::kAnonymous && !(flags & 0x01);  // MAP_SHARED
  }
  bool private_file() const { return kind == VmaKind::kFile && !(flags & 0x01); }

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, start, end, prot, flags, offset, kind, name, dev, inode, file_size, mtime_ns);
    if (version >= 2) fields(ar, advice);
    if (version >= 3)
      fields(ar, may_write);
    else
      may_write = (prot & 0x2) != 0;  // PROT_WRITE
    if (version >= 4) fields(ar, aio_ring);
    if (version >= 5) fields(ar, sealed);
  }
};

// Whether a child's `vma` can hold pages shared copy-on-write with its parent's `parent` VMA
// (ckpt/cow_shared, restore/cow_shared): the same private anonymous mapping in both, or the same
// private mapping of the same file at the same offset (its written pages), not one growing down
// (a region moved onto it would not grow).
inline bool can_share_copy_on_write(const Vma& vma, const Vma& parent) {
  constexpr uint32_t kGrowsDown = 0x0100;  // MAP_GROWSDOWN
  bool same_file = vma.kind != VmaKind::kFile ||
                   (vma.offset == parent.offset && vma.dev == parent.dev &&
                    vma.inode == parent.inode && vma.file_size == parent.file_size &&
                    vma.mtime_ns == parent.mtime_ns);
  return (vma.private_anonymous() || vma.private_file()) && vma.kind == parent.kind &&
         parent.flags == vma.flags && same_file && !(vma.flags & kGrowsDown) &&
         vma.start == parent.start && vma.end == parent.end && vma.prot == parent.prot &&
         vma.name == parent.name;
}

// What prctl(PR_SET_MM_MAP) sets back.
struct MmFields {
  uint64_t start_code = 0, end_code = 0, start_data = 0, end_data = 0;
  uint64_t start_brk = 0, brk = 0, start_stack = 0;
  uint64_t arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
  std::vector<uint64_t> auxv;
  std::string exe_path;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, start_code, end_code, start_data, end_data, start_brk, brk, start_stack, arg_start, arg_end, env_start, env_end, auxv, exe_path);
  }
};

// Registrations of membarrier(2) on the mm (MEMBARRIER_CMD_REGISTER_*).
enum MembarrierRegistration : uint32_t {
  kMembarrierPrivateExpedited = 1u << 0,
  kMembarrierPrivateExpeditedSyncCore = 1u << 1,
  kMembarrierPrivateExpeditedRseq = 1u << 2,
};

// Pages [start, end) of a process's address space.
struct AddressRange {
  uint64_t start = 0;
  uint64_t end = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, start, end);
  }
};

struct MmState {
  std::vector<Vma> vmas;  // sorted by address
  MmFields fields;
  // Version 2: prctl(PR_GET_THP_DISABLE) (0, 1, or 3 with PR_THP_DISABLE_EXCEPT_ADVISED),
  // prctl(PR_GET_MEMORY_MERGE), MembarrierRegistration bits.
  int32_t thp_disable = 0;
  bool memory_merge = false;
  uint32_t membarrier = 0;
  // Version 3: the pages this process still shares copy-on-write with its parent process (the
  // same frames at the same addresses of an identical private anonymous VMA, or written pages
  // of an identical private file mapping, that the parent holds as its own), ascending. Not in its page stream: the restore gives them to it from the
  // parent's (ckpt/cow_shared, restore/cow_shared).
  std::vector<AddressRange> shared_with_parent;
  // Version 4: mlockall(MCL_FUTURE) is in force: every mapping made from now on is locked; and
  // prctl(PR_GET_MDWE): PR_MDWE_REFUSE_EXEC_GAIN (| PR_MDWE_NO_INHERIT), or 0.
  bool lock_future = false;
  uint32_t mdwe = 0;
  // And the guard regions (MADV_GUARD_INSTALL) of its private VMAs, ascending.
  std::vector<AddressRange> guard_regions;
  // Version 5: the VMAs with a NUMA policy of their own (mbind), ascending.
  std::vector<VmaPolicy> vma_policies;

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    records::fields(ar, vmas, fields);
    if (version >= 2) records::fields(ar, thp_disable, memory_merge, membarrier);
    if (version >= 3) records::fields(ar, shared_with_parent);
    if (version >= 4) records::fields(ar, lock_future, mdwe, guard_regions);
    if (version >= 5) records::fields(ar, vma_policies);
  }
};

// Every page with data of the process. The page stream (section kPages, same id) holds the
// contents of the runs not `in_parent`, back to back.
struct Pagemap {
  std::vector<PageRun> runs;  // ascending addresses
  // Version 2: xxh3-64 of each page of `runs`, in order (also of pages in the parent), so that
  // any image can be the parent of the next. Empty in version 1 images.
  std::vector<uint64_t> hashes;

  // The runs whose contents are in this image's page stream, in stream order.
  std::vector<PageRun> stored_runs() const {
    std::vector<PageRun> stored;
    for (const auto& run : runs)
      if (!run.in_parent) stored.push_back(run);
    return stored;
  }

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, runs);
    if (version >= 2) fields(ar, hashes);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::Vma, 5)
BOOST_CLASS_VERSION(ckpt::records::MmFields, 1)
BOOST_CLASS_VERSION(ckpt::records::AddressRange, 1)
BOOST_CLASS_VERSION(ckpt::records::MmState, 5)
BOOST_CLASS_VERSION(ckpt::records::Pagemap, 2)
