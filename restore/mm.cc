#include "restore/mm.h"

#include <fcntl.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <algorithm>
#include <map>

#include "common/error.h"
#include "common/log.h"
#include "common/proc/maps.h"
#include "common/proc/pagemap.h"
#include "common/ptrace/remote_memory.h"
#include "restore/aio.h"
#include "restore/mempolicy.h"
#include "restore/mounts.h"
#include "restore/pages.h"
#include "restore/shmem.h"

namespace ckpt::restore {
namespace {

using records::VmaKind;

VmaKind vdso_kind_of(const std::string& name) {
  if (name == "[vdso]") return VmaKind::kVdso;
  if (name == "[vvar]") return VmaKind::kVvar;
  if (name == "[vvar_vclock]") return VmaKind::kVvarVclock;
  return VmaKind::kAnonymous;
}

// Unmaps [start, end) but the regions of shared pages the process uses.
void unmap_outside(Restorer& r, uint64_t start, uint64_t end,
                   const std::vector<CowRegionUse>& cow) {
  std::vector<std::pair<uint64_t, uint64_t>> kept;
  for (const auto& use : cow) kept.emplace_back(use.region, use.region + use.size);
  std::sort(kept.begin(), kept.end());
  for (const auto& [from, to] : kept) {
    if (to <= start || from >= end) continue;
    if (from > start) r.main().checked("munmap inherited mapping", SYS_munmap, start, from - start);
    start = std::max(start, to);
  }
  if (start < end) r.main().checked("munmap inherited mapping", SYS_munmap, start, end - start);
}

// Drops every inherited mapping but the scratch area, the vdso and the regions of shared pages
// it uses, then moves the vdso parts to their dumped addresses (through a parking spot, as old
// and new places may overlap).
void replace_layout(Restorer& r, const records::MmState& mm, const std::vector<CowRegionUse>& cow) {
  std::vector<proc::MapEntry> vdso;
  for (const auto& map : proc::read_maps(r.host_pid())) {
    if (map.start == r.scratch() || map.name == "[vsyscall]") continue;
    if (vdso_kind_of(map.name) != VmaKind::kAnonymous) {
      vdso.push_back(map);
      continue;
    }
    unmap_outside(r, map.start, map.end, cow);
  }
  uint64_t park = r.scratch() + Restorer::kParkOffset;
  std::vector<uint64_t> parked;
  for (const auto& map : vdso) {
    r.main().checked("mremap vdso to parking", SYS_mremap, map.start, map.end - map.start,
                     map.end - map.start, MREMAP_MAYMOVE | MREMAP_FIXED, park);
    parked.push_back(park);
    park += map.end - map.start;
  }
  for (size_t i = 0; i < vdso.size(); ++i) {
    const records::Vma* target = nullptr;
    for (const auto& vma : mm.vmas)
      if (vma.kind == vdso_kind_of(vdso[i].name)) target = &vma;
    uint64_t size = vdso[i].end - vdso[i].start;
    if (!target) {
      r.main().checked("munmap vdso part", SYS_munmap, parked[i], size);
      continue;
    }
    if (target->size() != size)
      fail("{} is {} bytes here, {} in the image", vdso[i].name, size, target->size());
    r.main().checked("mremap vdso", SYS_mremap, parked[i], size, size,
                     MREMAP_MAYMOVE | MREMAP_FIXED, target->start);
  }
}

// Opens `vma`'s file in the process (its own mount namespace) and checks it is the dumped file
// (a file restore made again from the image, on a tmpfs or stored rootfs, has a new inode).
int open_mapped_file(Restorer& r, const records::Vma& vma, const image::ImageReader& image) {
  bool writable_shared = (vma.flags & MAP_SHARED) && (vma.prot & PROT_WRITE);
  long fd = r.main().call(SYS_openat, static_cast<uint64_t>(AT_FDCWD), r.put_path(vma.name),
                          (writable_shared ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) fail("cannot reopen mapped file {}: {}", vma.name, strerror(static_cast<int>(-fd)));
  r.main().checked("fstat", SYS_fstat, fd, r.scratch() + Restorer::kDataOffset);
  struct stat st {};
  r.read(Restorer::kDataOffset, &st, sizeof st);
  check_mapped_file(vma, st, image);
  return static_cast<int>(fd);
}

// Moves the region of shared pages onto `vma` (mremap keeps its frames). A child then drops the
// pages it does not share: its own come by the fill, the others it did not have.
void adopt_cow_region(Restorer& r, const records::Vma& vma, const CowRegionUse& use,
                      const std::vector<records::AddressRange>& shared) {
  r.main().checked("mremap region of shared pages", SYS_mremap, use.region, use.size, use.size,
                   MREMAP_MAYMOVE | MREMAP_FIXED, vma.start);
  if (use.owner) return;
  uint64_t at = vma.start;
  for (const auto& range : shared) {
    if (range.end <= vma.start || range.start >= vma.end) continue;
    if (range.start > at)
      r.main().checked("madvise(MADV_DONTNEED)", SYS_madvise, at, range.start - at, MADV_DONTNEED);
    at = std::max(at, range.end);
  }
  if (at < vma.end)
    r.main().checked("madvise(MADV_DONTNEED)", SYS_madvise, at, vma.end - at, MADV_DONTNEED);
}

const CowRegionUse* region_for(const records::Vma& vma, const std::vector<CowRegionUse>& cow) {
  for (const auto& use : cow)
    if (use.vma_start == vma.start && use.size == vma.size()) return &use;
  return nullptr;
}

void create_vmas(Restorer& r, const records::MmState& mm, const SharedMappings& shared,
                 const image::ImageReader& image, const std::vector<CowRegionUse>& cow) {
  std::map<std::string, int> files;
  for (const auto& vma : mm.vmas) {
    if (records::is_kernel_made(vma.kind)) continue;
    if (vma.kind == VmaKind::kAioRing) continue;  // restore_aio_rings
    if (vma.kind == VmaKind::kSharedObject) {
      shared.map(r, vma);
      continue;
    }
    if (const CowRegionUse* use = region_for(vma, cow)) {
      adopt_cow_region(r, vma, *use, mm.shared_with_parent);
      continue;
    }
    uint64_t flags = (vma.flags & ~MAP_LOCKED) | MAP_FIXED;  // locked once filled
    uint64_t fd = static_cast<uint64_t>(-1);
    if (vma.kind == VmaKind::kFile) {
      auto it = files.find(vma.name);
      if (it == files.end()) it = files.emplace(vma.name, open_mapped_file(r, vma, image)).first;
      fd = it->second;
    } else {
      flags |= MAP_ANONYMOUS;
    }
    r.main().checked("mmap", SYS_mmap, vma.start, vma.size(), initial_prot(vma), flags, fd,
                     vma.kind == VmaKind::kFile ? vma.offset : 0);
  }
  for (auto& [path, fd] : files) r.main().checked("close", SYS_close, fd);
}

void set_protections(Restorer& r, const records::MmState& mm) {
  for (const auto& vma : mm.vmas) {
    if (records::is_kernel_made(vma.kind) || initial_prot(vma) == vma.prot)
      continue;
    r.main().checked("mprotect", SYS_mprotect, vma.start, vma.size(), vma.prot);
  }
}

// mlock()ed memory locked again (the process is still root, so neither RLIMIT_MEMLOCK nor a
// later change of uid stands in the way), then mlockall(MCL_FUTURE) if it was in force. A
// PROT_NONE VMA (a thread stack's guard made under MCL_FUTURE) is locked but cannot be
// populated: mlock sets VM_LOCKED, then answers ENOMEM for the pages it could not fault in.
void lock_vmas(Restorer& r, const records::MmState& mm) {
  for (const auto& vma : mm.vmas) {
    if (!(vma.flags & MAP_LOCKED)) continue;
    long ret = r.main().call(SYS_mlock, vma.start, vma.size());
    if (ret != 0 && !(ret == -ENOMEM && vma.prot == PROT_NONE))
      fail("process {}: mlock of {:#x}-{:#x} {}: {}", r.ns_pid(), vma.start, vma.end, vma.name,
           strerror(static_cast<int>(-ret)));
  }
  if (mm.lock_future) r.main().checked("mlockall(MCL_FUTURE)", SYS_mlockall, MCL_FUTURE);
}

// Guard regions once the pages are in (a fill would fault on them) and before mlock (which
// they refuse).
void install_guards(Restorer& r, const records::MmState& mm) {
  constexpr int kMadvGuardInstall = 102;
  for (const auto& g : mm.guard_regions)
    if (long ret = r.main().call(SYS_madvise, g.start, g.end - g.start, kMadvGuardInstall); ret != 0)
      fail("process {}: guard region {:#x}-{:#x} (MADV_GUARD_INSTALL): {}", r.ns_pid(), g.start,
           g.end, strerror(static_cast<int>(-ret)));
}

// mseal(2) last: a sealed VMA can no longer be changed, by the restore either.
void seal_vmas(Restorer& r, const records::MmState& mm) {
  constexpr long kSysMseal = 462;
  for (const auto& vma : mm.vmas)
    if (vma.sealed) r.main().checked("mseal", kSysMseal, vma.start, vma.size(), 0);
}

// The madvise(2) advice of each VMA, once its pages are in (and after every fork of the restore:
// the tree is forked before any memory is restored).
void set_advice(Restorer& r, const records::MmState& mm) {
  constexpr std::pair<uint32_t, int> kAdvice[] = {
      {records::kAdviceDontFork, MADV_DONTFORK},   {records::kAdviceDontDump, MADV_DONTDUMP},
      {records::kAdviceHugePage, MADV_HUGEPAGE},   {records::kAdviceNoHugePage, MADV_NOHUGEPAGE},
      {records::kAdviceMergeable, MADV_MERGEABLE}, {records::kAdviceWipeOnFork, MADV_WIPEONFORK},
  };
  for (const auto& vma : mm.vmas)
    for (const auto& [bit, advice] : kAdvice) {
      if (!(vma.advice & bit)) continue;
      long ret = r.main().call(SYS_madvise, vma.start, vma.size(), advice);
      if (ret != 0)
        fail("process {}: madvise({}) of {:#x}-{:#x} {}: {}{}", r.ns_pid(), advice, vma.start,
             vma.end, vma.name, strerror(static_cast<int>(-ret)),
             bit == records::kAdviceMergeable ? " (this kernel has no KSM?)" : "");
    }
}

// THP disabled and KSM for every mapping (prctl), before any page comes in.
void set_mm_prctls(Restorer& r, const records::MmState& mm) {
  r.main().checked("prctl(PR_SET_THP_DISABLE)", SYS_prctl, PR_SET_THP_DISABLE, mm.thp_disable & 1,
                   mm.thp_disable & ~1, 0, 0);
  constexpr int kPrSetMemoryMerge = 67;
  if (mm.memory_merge)
    r.main().checked("prctl(PR_SET_MEMORY_MERGE)", SYS_prctl, kPrSetMemoryMerge, 1, 0, 0, 0);
}

void register_membarrier(Restorer& r, uint32_t registrations) {
  constexpr std::pair<uint32_t, int> kRegister[] = {
      {records::kMembarrierPrivateExpedited, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED},
      {records::kMembarrierPrivateExpeditedSyncCore,
       MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE},
      {records::kMembarrierPrivateExpeditedRseq, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ},
  };
  for (const auto& [bit, command] : kRegister)
    if (registrations & bit) r.main().checked("membarrier register", SYS_membarrier, command, 0, 0);
}

struct PrctlMmMap {
  uint64_t start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
  uint64_t arg_start, arg_end, env_start, env_end;
  uint64_t auxv;
  uint32_t auxv_size;
  uint32_t exe_fd;
};
static_assert(sizeof(PrctlMmMap) == 104);

void set_mm_fields(Restorer& r, const records::MmFields& f) {
  uint64_t auxv_at = Restorer::kDataOffset + sizeof(PrctlMmMap);
  r.write(auxv_at, f.auxv.data(), f.auxv.size() * 8);
  PrctlMmMap map{f.start_code,
                 f.end_code,
                 f.start_data,
                 f.end_data,
                 f.start_brk,
                 f.brk,
                 f.start_stack,
                 f.arg_start,
                 f.arg_end,
                 f.env_start,
                 f.env_end,
                 r.scratch() + auxv_at,
                 static_cast<uint32_t>(f.auxv.size() * 8),
                 static_cast<uint32_t>(-1)};
  long exe = f.exe_path.empty() ? -1
                                : r.main().call(SYS_openat, static_cast<uint64_t>(AT_FDCWD),
                                                r.put_path(f.exe_path), O_RDONLY | O_CLOEXEC);
  if (exe >= 0) map.exe_fd = static_cast<uint32_t>(exe);
  r.write(Restorer::kDataOffset, &map, sizeof map);
  long ret = r.main().call(SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, r.scratch() + Restorer::kDataOffset,
                           sizeof map);
  if (ret != 0 && exe >= 0) {
    spdlog::warn("process {}: cannot set exe to {} ({}); keeping the restorer's", r.ns_pid(),
                 f.exe_path, strerror(static_cast<int>(-ret)));
    map.exe_fd = static_cast<uint32_t>(-1);
    r.write(Restorer::kDataOffset, &map, sizeof map);
    ret = r.main().call(SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, r.scratch() + Restorer::kDataOffset,
                        sizeof map);
  }
  if (exe >= 0) r.main().checked("close", SYS_close, exe);
  if (ret != 0) fail("process {}: PR_SET_MM_MAP: {}", r.ns_pid(), strerror(static_cast<int>(-ret)));
}

}  // namespace

void check_mapped_file(const records::Vma& vma, const struct stat& st,
                       const image::ImageReader& image) {
  int64_t mtime = st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
  bool same_inode = st.st_ino == vma.inode || recreated_from_image(image, vma.name);
  if (!same_inode || static_cast<uint64_t>(st.st_size) != vma.file_size || mtime != vma.mtime_ns)
    fail("mapped file {} changed since the dump", vma.name);
}

uint32_t initial_prot(const records::Vma& vma) {
  return (vma.flags & MAP_SHARED) ? vma.prot : vma.prot | PROT_READ | PROT_WRITE;
}

void restore_mm(Restorer& restorer, const records::MmState& mm, const records::Pagemap& pagemap,
                const image::ImageReader& image, const std::vector<chain::PageSource>& pages,
                const HeldPages* held, uint64_t image_id, PostCopy* post_copy,
                const std::vector<CowRegionUse>& cow, bool table_restored_later) {
  replace_layout(restorer, mm, cow);
  set_mm_prctls(restorer, mm);
  SharedMappings shared(image, restorer.ns_pid());
  create_vmas(restorer, mm, shared, image, cow);
  if (!table_restored_later) shared.close_inherited(restorer);
  restore_aio_rings(restorer, mm);
  restore_vma_policies(restorer, mm);  // before the fill, which the policies place
  chain::Ranges in_regions;  // the parent's pages its region brought
  for (const auto& use : cow)
    if (use.owner) in_regions.emplace_back(use.vma_start, use.vma_start + use.size);
  std::sort(in_regions.begin(), in_regions.end());
  fill_pages(restorer, mm, pagemap, pages, held, image_id, post_copy, in_regions);
  install_guards(restorer, mm);
  set_advice(restorer, mm);
  set_protections(restorer, mm);
  lock_vmas(restorer, mm);
  set_mm_fields(restorer, mm.fields);
  register_membarrier(restorer, mm.membarrier);
  seal_vmas(restorer, mm);
}

void deny_write_execute(Restorer& r, const records::MmState& mm) {
  constexpr int kPrSetMdwe = 65;
  if (mm.mdwe) r.main().checked("prctl(PR_SET_MDWE)", SYS_prctl, kPrSetMdwe, mm.mdwe, 0, 0, 0);
}

}  // namespace ckpt::restore
